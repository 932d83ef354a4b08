import { newRunId } from './run-id';
import { SpineError } from '../errors/spine-error';
import { assertSafeKeys, deepFreeze, isRecord } from './safe-values';
import { VersionedView } from './versioned-view';
import { QualityMetrics, type QualityMetricsInit } from '../quality/quality-metrics';

/** Where a run stands: the last step that completed and how many steps have run. */
export interface CheckpointState {
  readonly lastCompletedStep: string | null;
  readonly executedSteps: number;
}

/** A partition of the data a run works on, e.g. `{ week_ending: '2026-01-09', tier: 'OTC' }`. */
export type Partition = Readonly<Record<string, string>>;

/** What `WorkflowContext.create` accepts; every field is optional. */
export interface WorkflowContextInit {
  readonly runId?: string;
  readonly traceId?: string;
  readonly batchId?: string | null;
  readonly startedAt?: Date;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly partition?: Partition | null;
  readonly asOfDate?: string | null;
  readonly captureId?: string | null;
  readonly idempotencyKey?: string | null;
}

/** The JSON form of a context (`toJSON` / `fromJSON`). */
export interface WorkflowContextJSON {
  readonly runId: string;
  readonly traceId: string;
  readonly batchId: string | null;
  readonly startedAt: string;
  readonly params: Record<string, unknown>;
  readonly stepOutputs: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  readonly checkpoint: CheckpointState | null;
  readonly partition: Record<string, string> | null;
  readonly asOfDate: string | null;
  readonly captureId: string | null;
  readonly idempotencyKey: string | null;
  readonly currentStep?: string | null;
  readonly stepIdempotencyKey?: string | null;
  /** The quality metrics of the steps so far, by step (absent in contexts saved before they were kept). */
  readonly stepQuality?: Record<string, QualityMetricsInit>;
}

interface ContextState {
  readonly runId: string;
  readonly traceId: string;
  readonly batchId: string | null;
  readonly startedAt: Date;
  readonly params: VersionedView;
  readonly outputs: VersionedView;
  readonly quality: VersionedView;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly checkpoint: CheckpointState | null;
  readonly partition: Partition | null;
  readonly asOfDate: string | null;
  readonly captureId: string | null;
  readonly idempotencyKey: string | null;
  readonly currentStep: string | null;
  readonly stepIdempotencyKey: string | null;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});
const NO_CHANGES: Partial<ContextState> = Object.freeze({});

/**
 * The one value that flows through a run. Frozen: every `with…` method returns a new context and
 * leaves this one as it was. Deriving costs O(1) whatever the run's length.
 */
export class WorkflowContext {
  readonly runId: string;
  readonly traceId: string;
  readonly batchId: string | null;
  readonly startedAt: Date;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly checkpoint: CheckpointState | null;
  readonly partition: Partition | null;
  readonly asOfDate: string | null;
  readonly captureId: string | null;
  readonly idempotencyKey: string | null;
  /** The step this context was handed to, or null between steps. */
  readonly currentStep: string | null;
  /** Stable key of the current step execution (run, step, iteration) for the step's own side effects. */
  readonly stepIdempotencyKey: string | null;
  readonly #params: VersionedView;
  readonly #outputs: VersionedView;
  readonly #quality: VersionedView;

  /** `changes` override `base` field by field (no intermediate object on the hot path). */
  private constructor(base: ContextState | WorkflowContext, changes: Partial<ContextState> = NO_CHANGES) {
    this.runId = changes.runId ?? base.runId;
    this.traceId = changes.traceId ?? base.traceId;
    this.batchId = 'batchId' in changes ? changes.batchId! : base.batchId;
    this.startedAt = changes.startedAt ?? base.startedAt;
    this.metadata = changes.metadata ?? base.metadata;
    this.checkpoint = 'checkpoint' in changes ? changes.checkpoint! : base.checkpoint;
    this.partition = 'partition' in changes ? changes.partition! : base.partition;
    this.asOfDate = 'asOfDate' in changes ? changes.asOfDate! : base.asOfDate;
    this.captureId = 'captureId' in changes ? changes.captureId! : base.captureId;
    this.idempotencyKey = 'idempotencyKey' in changes ? changes.idempotencyKey! : base.idempotencyKey;
    this.currentStep = 'currentStep' in changes ? changes.currentStep! : base.currentStep;
    this.stepIdempotencyKey = 'stepIdempotencyKey' in changes ? changes.stepIdempotencyKey! : base.stepIdempotencyKey;
    this.#params = changes.params ?? (base instanceof WorkflowContext ? base.#params : base.params);
    this.#outputs = changes.outputs ?? (base instanceof WorkflowContext ? base.#outputs : base.outputs);
    this.#quality = changes.quality ?? (base instanceof WorkflowContext ? base.#quality : base.quality);
    Object.freeze(this);
  }

  /** A fresh context for a new run; params are copied and frozen. */
  static create(init: WorkflowContextInit = {}): WorkflowContext {
    const params = init.params ?? EMPTY;
    if (!isRecord(params)) throw contextError('params must be an object');
    assertSafeKeys(params, 'params');
    const metadata = init.metadata ?? EMPTY;
    assertSafeKeys(metadata, 'metadata');
    const partition = init.partition ?? null;
    if (partition !== null) checkPartition(partition);
    const runId = init.runId ?? newRunId();
    return new WorkflowContext({
      runId,
      traceId: init.traceId ?? runId,
      batchId: init.batchId ?? null,
      startedAt: init.startedAt ?? new Date(),
      params: VersionedView.of(deepFreeze(cloneParams(params))),
      outputs: VersionedView.of(),
      quality: VersionedView.of(),
      metadata: Object.freeze({ ...metadata }),
      checkpoint: null,
      partition: partition && Object.freeze({ ...partition }),
      asOfDate: init.asOfDate ?? null,
      captureId: init.captureId ?? null,
      idempotencyKey: init.idempotencyKey ?? null,
      currentStep: null,
      stepIdempotencyKey: null,
    });
  }

  /** Rebuilds a context from its `toJSON` form; throws naming the field that is wrong. */
  static fromJSON(json: unknown): WorkflowContext {
    if (typeof json === 'string') json = JSON.parse(json);
    if (!isRecord(json)) throw contextError('expected an object');
    const str = (field: string, nullable: boolean): string | null => {
      const value = json[field];
      if (typeof value === 'string') return value;
      if (nullable && (value === null || value === undefined)) return null;
      throw contextError(`field "${field}" must be a string${nullable ? ' or null' : ''} (got ${typeof value})`);
    };
    const rec = (field: string): Record<string, unknown> => {
      const value = json[field] ?? {};
      if (!isRecord(value)) throw contextError(`field "${field}" must be an object`);
      assertSafeKeys(value, `context field "${field}"`);
      return value;
    };
    const startedAt = new Date(str('startedAt', false)!);
    if (Number.isNaN(startedAt.getTime())) throw contextError('field "startedAt" is not a valid date');
    const checkpoint = json.checkpoint ?? null;
    if (checkpoint !== null && !(isRecord(checkpoint) && typeof checkpoint.executedSteps === 'number')) {
      throw contextError('field "checkpoint" must be null or { lastCompletedStep, executedSteps }');
    }
    const partition = json.partition ?? null;
    if (partition !== null) checkPartition(partition);
    return new WorkflowContext({
      runId: str('runId', false)!,
      traceId: str('traceId', false)!,
      batchId: str('batchId', true),
      startedAt,
      params: VersionedView.of(deepFreeze(structuredClone(rec('params')))),
      outputs: VersionedView.of(deepFreeze(structuredClone(rec('stepOutputs')))),
      quality: VersionedView.of(qualityFromJSON(rec('stepQuality'))),
      metadata: deepFreeze(structuredClone(rec('metadata'))),
      checkpoint: checkpoint && (Object.freeze({ ...checkpoint }) as unknown as CheckpointState),
      partition: partition && Object.freeze({ ...(partition as Partition) }),
      asOfDate: str('asOfDate', true),
      captureId: str('captureId', true),
      idempotencyKey: str('idempotencyKey', true),
      currentStep: str('currentStep', true),
      stepIdempotencyKey: str('stepIdempotencyKey', true),
    });
  }

  /** Every param, frozen (built on first access for this context). */
  get params(): Readonly<Record<string, unknown>> {
    return this.#params.toObject();
  }

  /** The name of the workflow this run executes (`metadata.workflow`, set by the runner); null outside a run. */
  get workflowName(): string | null {
    const name = this.metadata.workflow;
    return typeof name === 'string' ? name : null;
  }

  /** Every step's output by step name, frozen (built on first access; prefer `getOutput`). */
  get stepOutputs(): Readonly<Record<string, unknown>> {
    return this.#outputs.toObject();
  }

  /** A step's output, or one key of it; `defaultValue` when absent. */
  getOutput<T = unknown>(step: string, key?: string, defaultValue?: T): T {
    const output = this.#outputs.get(step);
    if (key === undefined) return (output === undefined ? defaultValue : output) as T;
    if (output === null || typeof output !== 'object' || !Object.prototype.hasOwnProperty.call(output, key)) {
      return defaultValue as T;
    }
    return (output as Record<string, unknown>)[key] as T;
  }

  /**
   * The quality metrics of the steps that completed so far, by step name (the design's
   * `with_quality`): a later step can look at upstream quality (`getQuality`).
   */
  get quality(): Readonly<Record<string, QualityMetrics>> {
    return this.#quality.toObject() as Readonly<Record<string, QualityMetrics>>;
  }

  /** The quality metrics a completed step reported, or undefined when it reported none. */
  getQuality(step: string): QualityMetrics | undefined {
    return this.#quality.get(step) as QualityMetrics | undefined;
  }

  /** A context with `quality` kept as `step`'s quality metrics (the runner adds them when a step completes). */
  withQuality(step: string, quality: QualityMetrics | QualityMetricsInit): WorkflowContext {
    return this.derive({ quality: this.#quality.set(step, QualityMetrics.from(quality)) });
  }

  /** True when the step has produced an output in this run. */
  hasOutput(step: string): boolean {
    return this.#outputs.has(step);
  }

  /** A param, or `defaultValue` when it is not set. */
  getParam<T = unknown>(key: string, defaultValue?: T): T {
    const value = this.#params.get(key);
    return (value === undefined ? defaultValue : value) as T;
  }

  /** A context whose params have `updates` merged in (shallow; unsafe keys are rejected). */
  withUpdates(updates: Readonly<Record<string, unknown>>): WorkflowContext {
    assertSafeKeys(updates, 'context updates');
    return this.derive({ params: this.#params.setAll(deepFreeze(updates)) });
  }

  /** The design's name for `withUpdates`: a context whose params have `params` merged in. */
  withParams(params: Readonly<Record<string, unknown>>): WorkflowContext {
    return this.withUpdates(params);
  }

  /** A context with `output` stored under `step`, optional param updates merged and a new checkpoint. */
  withStepOutput(step: string, output: unknown, updates?: Readonly<Record<string, unknown>>, checkpoint?: CheckpointState): WorkflowContext {
    if (updates !== undefined) assertSafeKeys(updates, `context updates of step "${step}"`);
    return this.derive({
      outputs: this.#outputs.set(step, deepFreeze(output)),
      params: updates === undefined ? this.#params : this.#params.setAll(deepFreeze(updates)),
      checkpoint: checkpoint === undefined ? this.checkpoint : Object.freeze(checkpoint),
    });
  }

  /** A context for the given partition. */
  withPartition(partition: Partition | null): WorkflowContext {
    if (partition !== null) checkPartition(partition);
    return this.derive({ partition: partition && Object.freeze({ ...partition }) });
  }

  /** A context whose metadata has `metadata` merged in. */
  withMetadata(metadata: Readonly<Record<string, unknown>>): WorkflowContext {
    assertSafeKeys(metadata, 'metadata');
    return this.derive({ metadata: deepFreeze({ ...this.metadata, ...metadata }) });
  }

  /** A context with other identity fields (batch, as-of date, capture id, idempotency key, checkpoint). */
  withFields(fields: Partial<Pick<ContextState, 'batchId' | 'asOfDate' | 'captureId' | 'idempotencyKey' | 'checkpoint'>>): WorkflowContext {
    return this.derive(fields);
  }

  /**
   * A context for a child run (a map item): its own run id and start time, the same trace and
   * batch, this run's params with `params` merged in, and this run's outputs visible.
   */
  spawn(child: { runId: string; startedAt?: Date; params?: Readonly<Record<string, unknown>> }): WorkflowContext {
    if (child.params !== undefined) assertSafeKeys(child.params, 'child params');
    return this.derive({
      runId: child.runId,
      startedAt: child.startedAt ?? new Date(),
      params: child.params === undefined ? this.#params : this.#params.setAll(deepFreeze(child.params)),
      checkpoint: null,
      idempotencyKey: null,
      currentStep: null,
      stepIdempotencyKey: null,
    });
  }

  /** The context handed to one step execution (its name and idempotency key set). */
  forStep(step: string | null, stepIdempotencyKey: string | null): WorkflowContext {
    return this.derive({ currentStep: step, stepIdempotencyKey });
  }

  /** The JSON form; `fromJSON` rebuilds an equal context. */
  toJSON(): WorkflowContextJSON {
    return {
      runId: this.runId,
      traceId: this.traceId,
      batchId: this.batchId,
      startedAt: this.startedAt.toISOString(),
      params: { ...this.params },
      stepOutputs: { ...this.stepOutputs },
      metadata: { ...this.metadata },
      checkpoint: this.checkpoint,
      partition: this.partition && { ...this.partition },
      asOfDate: this.asOfDate,
      captureId: this.captureId,
      idempotencyKey: this.idempotencyKey,
      currentStep: this.currentStep,
      stepIdempotencyKey: this.stepIdempotencyKey,
      stepQuality: Object.fromEntries(Object.entries(this.quality).map(([step, metrics]) => [step, metrics.toJSON()])),
    };
  }

  private derive(changes: Partial<ContextState>): WorkflowContext {
    return new WorkflowContext(this, changes);
  }
}

/** A context's `stepQuality` JSON as metrics (a field that is not valid metrics is named). */
function qualityFromJSON(json: Record<string, unknown>): Record<string, QualityMetrics> {
  const out: Record<string, QualityMetrics> = {};
  for (const [step, value] of Object.entries(json)) {
    if (!isRecord(value)) throw contextError(`stepQuality of step "${step}" must be an object`);
    try {
      out[step] = QualityMetrics.from(value as unknown as QualityMetricsInit);
    } catch (error) {
      throw contextError(`stepQuality of step "${step}": ${(error as Error).message}`);
    }
  }
  return out;
}

function contextError(problem: string): SpineError {
  return new SpineError('invalid-context', `Invalid workflow context: ${problem}.`);
}

function checkPartition(partition: unknown): void {
  if (!isRecord(partition)) throw contextError('partition must be an object of strings');
  assertSafeKeys(partition, 'partition');
  for (const [key, value] of Object.entries(partition)) {
    if (typeof value !== 'string') {
      throw contextError(`partition key "${key}" must be a string (got ${typeof value})`);
    }
  }
}

/** Copies run params so the caller's objects stay theirs; non-cloneable values are named. */
function cloneParams(params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    try {
      out[key] = value !== null && typeof value === 'object' ? structuredClone(value) : value;
    } catch (error) {
      throw new SpineError('invalid-argument', `param "${key}" cannot be copied into the context: ${(error as Error).message}. Params must be plain data.`);
    }
    if (typeof value === 'function' || typeof value === 'symbol') {
      throw new SpineError('invalid-argument', `param "${key}" is a ${typeof value}; params must be plain data.`);
    }
  }
  return out;
}
