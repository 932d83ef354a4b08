import type { RunTrigger } from '../schedule/trigger';
import type { WorkflowContext } from '../context/workflow-context';
import type { StepDefinition } from '../definition/step-definition';
import { END, type WorkflowDefinition } from '../definition/workflow-definition';
import { workflowHash } from '../definition/workflow-spec';
import type { ErrorCategory } from '../policy/error-category';
import { QualityMetrics } from '../quality/quality-metrics';
import { StepResult } from '../result/step-result';
import { ErrorPolicy } from '../policy/error-policy';
import type { Fence, LostExecutions, RunOutcomeStatus, RunProgress, StepCommit, StepRecord, StepStatus } from '../store/records/run-record';
import type { CreateRunOutcome } from '../store/records/store-writes';
import type { RunJournal } from '../store/ports/run-journal.port';
import type { StepExecution, WorkflowResult } from './workflow-result';
import type { RunEvent } from './run-event';

const CREATED: CreateRunOutcome = Object.freeze({ created: true });

/** How often a running run's counters reach the store at most (listings show live progress; the hot path writes only the step row). */
const COUNTERS_EVERY_MS = 250;

/** Where and why a run failed (all null when it did not). */
export interface RunError {
  readonly step: string | null;
  readonly message: string | null;
  readonly category: ErrorCategory | null;
}

/** What a result says beyond the ledger's own lists. */
export interface ResultFields extends Pick<
  WorkflowResult,
  'status' | 'runId' | 'workflowName' | 'context' | 'totalSteps' | 'executedSteps' | 'startedAt' | 'finishedAt' | 'durationMs' | 'events' | 'dryRun' | 'deduplicated'
> {
  readonly error: RunError;
}

/** What a step write returns: nothing for runs that are not recorded; synchronous on the hot path. */
export type Recorded = StepCommit | Promise<StepCommit> | undefined;

/**
 * The bookkeeping of one run: which steps completed, failed or were skipped, the counters, and
 * the records written to the store (none when the run is not persisted).
 */
export class RunLedger {
  readonly completed: string[] = [];
  readonly failed: string[] = [];
  readonly skipped: string[] = [];
  readonly executions: StepExecution[] = [];
  executed = 0;
  private lastCompletedStep: string | null = null;
  /** Handed to every `recordStep` (the port copies what it keeps), so a step allocates no progress object. */
  private readonly running: { -readonly [K in keyof RunProgress]: RunProgress[K] } = {
    status: 'running',
    executedSteps: 0,
    completedSteps: 0,
    failedSteps: 0,
    skippedSteps: 0,
    lastCompletedStep: null,
    fence: null,
    countersDue: false,
    snapshot: null,
  };
  /** When the run's counters last went to the store (performance.now()). */
  private countersAt = performance.now();
  /** By step position: how often each step ran, and how its last execution ended. */
  private readonly iterations: Uint32Array;
  private readonly lastStatus: (StepStatus | undefined)[];

  constructor(
    private readonly runId: string,
    private readonly store: RunJournal | null,
    private readonly positions: ReadonlyMap<string, number>,
    /** The claim every write is made under (the store refuses it once stale); null for runs without one. */
    private readonly fence: Fence | null,
    /** Keep a context snapshot every this many completed steps (null: only at steps marked `checkpoint`). */
    private readonly checkpointEvery: number | null = null,
  ) {
    this.running.fence = fence;
    this.iterations = new Uint32Array(positions.size);
    this.lastStatus = new Array<StepStatus | undefined>(positions.size);
  }

  /**
   * Creates the run in the store: a top-level run claimed by `lease` (at epoch 1), a map item
   * under its top-level run's fence.
   */
  async open(
    definition: WorkflowDefinition,
    initial: WorkflowContext,
    family: { readonly parentRunId: string | null; readonly rootRunId: string | null },
    startedAt: number,
    lease: { readonly owner: string; readonly expiresAt: Date } | null,
    trigger?: RunTrigger,
    traceparent: string | null = null,
    appVersion: string | null = null,
  ): Promise<CreateRunOutcome> {
    if (this.store === null) return CREATED;
    return this.store.createRun({
      runId: this.runId,
      workflowName: definition.name,
      workflowVersion: definition.version,
      workflowHash: workflowHash(definition),
      domain: definition.domain,
      params: initial.params,
      partition: initial.partition,
      batchId: initial.batchId,
      traceId: initial.traceId,
      asOfDate: initial.asOfDate,
      captureId: initial.captureId,
      idempotencyKey: initial.idempotencyKey,
      parentRunId: family.parentRunId,
      rootRunId: family.rootRunId,
      totalSteps: definition.steps.length,
      startedAt: new Date(startedAt),
      leaseOwner: lease?.owner ?? null,
      leaseExpiresAt: lease?.expiresAt ?? null,
      fence: family.rootRunId === null ? null : this.fence,
      ...(trigger !== undefined && { trigger }),
      ...(traceparent !== null && { traceparent }),
      ...(appVersion !== null && { appVersion }),
    });
  }

  /** Marks a run that is being resumed as running again, with its (possibly overridden) params. */
  async reopen(params: Readonly<Record<string, unknown>>, lost: LostExecutions): Promise<void> {
    if (this.store === null) return;
    await this.store.reopenRun(this.runId, params, this.fence, lost);
  }

  /** The iteration the step at `position` runs under next. */
  nextIteration(position: number): number {
    return this.iterations[position]! + 1;
  }

  /**
   * Rebuilds the bookkeeping and the context from a run's recorded steps, in the order they were
   * recorded, and returns the position to continue at. A step that failed and stopped the run is
   * run again under its old iteration (so its idempotency key is the same); completed steps are
   * never run again. Records of steps the definition no longer has are passed over.
   */
  replay(steps: readonly StepDefinition[], records: readonly StepRecord[], initial: WorkflowContext): { readonly context: WorkflowContext; readonly position: number } {
    let context = initial;
    let position = 0;
    const routeFrom = (from: number, next: string | null): number => (next === null ? from + 1 : next === END ? steps.length : (this.positions.get(next) ?? from + 1));
    for (const record of records) {
      const at = this.positions.get(record.stepName);
      if (at === undefined || record.status === 'retried') continue;
      if (record.status === 'waiting') {
        const wakeAt = Date.parse(String(record.output?.wakeAt));
        if (!Number.isNaN(wakeAt)) this.wakes.set(record.idempotencyKey, wakeAt);
        // a signal wait without a deadline
        else if (typeof record.output?.signal === 'string') this.wakes.set(record.idempotencyKey, Number.POSITIVE_INFINITY);
        continue;
      }
      const step = steps[at]!;
      const timing = { name: step.name, type: step.type, iteration: record.iteration, durationMs: record.durationMs, idempotencyKey: record.idempotencyKey };
      if (record.status === 'skipped') {
        this.skipped.push(step.name);
        this.lastStatus[at] = 'skipped';
        this.executions.push({ ...timing, status: 'skipped', attempts: 0, error: null, errorCategory: null, quality: null, ...(record.error !== null && { reason: record.error }) });
        // a start from a given context: its output for this step; a step's own skip may have routed
        if (record.output !== null)
          context = context.withStepOutput(step.name, record.output, undefined, { lastCompletedStep: context.checkpoint?.lastCompletedStep ?? null, executedSteps: this.executed });
        // a skip where the run stood (a dependency not met, a start further on, the step's own skip) moves it on
        if (at >= position) position = record.nextStep === null ? at + 1 : routeFrom(at, record.nextStep);
        continue;
      }
      const quality = record.quality === null ? null : QualityMetrics.from(record.quality);
      if (record.status === 'completed') {
        this.iterations[at] = record.iteration;
        this.executed++;
        this.completed.push(step.name);
        this.lastCompletedStep = step.name;
        this.lastStatus[at] = 'completed';
        this.executions.push({ ...timing, status: 'completed', attempts: record.attempt, error: null, errorCategory: null, quality });
        context = context.withStepOutput(step.name, record.output ?? {}, record.contextUpdates ?? undefined, {
          lastCompletedStep: step.name,
          executedSteps: this.executed,
        });
        if (quality !== null) context = context.withQuality(step.name, quality);
        position = routeFrom(at, record.nextStep ?? step.next);
      } else if (step.onError === ErrorPolicy.CONTINUE) {
        this.iterations[at] = record.iteration;
        this.executed++;
        this.failed.push(step.name);
        this.lastStatus[at] = 'failed';
        this.executions.push({ ...timing, status: 'failed', attempts: record.attempt, error: record.error, errorCategory: record.errorCategory, quality });
        position = routeFrom(at, step.next);
      } else {
        this.iterations[at] = record.iteration - 1;
        position = at;
      }
    }
    return { context, position };
  }

  /** A run's result: the completed, failed and skipped steps and their executions from this ledger, the rest as given. */
  result(fields: ResultFields): WorkflowResult {
    // an explicit literal: one object shape, no spread of a rest object
    return {
      status: fields.status,
      deduplicated: fields.deduplicated,
      runId: fields.runId,
      workflowName: fields.workflowName,
      context: fields.context,
      completedSteps: this.completed,
      failedSteps: this.failed,
      skippedSteps: this.skipped,
      totalSteps: fields.totalSteps,
      executedSteps: fields.executedSteps,
      errorStep: fields.error.step,
      error: fields.error.message,
      errorCategory: fields.error.category,
      startedAt: fields.startedAt,
      finishedAt: fields.finishedAt,
      durationMs: fields.durationMs,
      steps: this.executions,
      events: fields.events,
      dryRun: fields.dryRun,
    };
  }

  /** A pending write of counters held back from the hot path. */
  private trailing: ReturnType<typeof setTimeout> | null = null;

  /** Writes the counters held back since the last step that carried them (best effort: the next step or the run's end writes them too). */
  private readonly writeCounters = (): Promise<void> => {
    this.trailing = null;
    if (this.store === null) return Promise.resolve();
    this.countersAt = performance.now();
    this.syncCounters();
    return this.store.recordProgress(this.runId, this.running).catch(() => undefined);
  };

  private syncCounters(): void {
    const running = this.running;
    running.executedSteps = this.executed;
    running.completedSteps = this.completed.length;
    running.failedSteps = this.failed.length;
    running.skippedSteps = this.skipped.length;
    running.lastCompletedStep = this.lastCompletedStep;
  }

  /** Drops the counters held back (a step commit or the run's end carries them). */
  private stop(): void {
    if (this.trailing !== null) clearTimeout(this.trailing);
    this.trailing = null;
  }

  /** The run's part here ends (it parked, stopped or gave way): counters held back are written now. */
  async settle(): Promise<void> {
    if (this.trailing === null) return;
    this.stop();
    await this.writeCounters();
  }

  /** Records how the run ended. */
  async close(status: RunOutcomeStatus, finishedAt: number, durationMs: number, error: RunError, events: readonly RunEvent[] = []): Promise<void> {
    if (this.store === null) return;
    this.stop();
    await this.store.finishRun(
      this.runId,
      {
        status,
        executedSteps: this.executed,
        completedSteps: this.completed.length,
        failedSteps: this.failed.length,
        skippedSteps: this.skipped.length,
        lastCompletedStep: this.lastCompletedStep,
        fence: this.fence,
        finishedAt: new Date(finishedAt),
        durationMs,
        errorStep: error.step,
        error: error.message,
        errorCategory: error.category,
      },
      events,
    );
  }

  /** The first dependency of `step` that has not completed in this run, if any. */
  unmetDependency(step: StepDefinition): string | undefined {
    if (step.dependsOn.length === 0) return undefined;
    return step.dependsOn.find((d) => this.lastStatus[this.positions.get(d)!] !== 'completed');
  }

  /** Counts a new execution of `step` and returns its iteration (1 for its first in the run). */
  begin(position: number): number {
    this.executed++;
    return ++this.iterations[position]!;
  }

  /** Records a failed attempt that will be tried again. */
  retried(step: StepDefinition, iteration: number, attempt: number, key: string, startedAt: number, durationMs: number, result: StepResult): Recorded {
    return this.write(step, iteration, attempt, 'retried', key, startedAt, durationMs, result);
  }

  /** Records the final attempt of a step execution. */
  settled(
    step: StepDefinition,
    position: number,
    iteration: number,
    attempts: number,
    key: string,
    startedAt: number,
    durationMs: number,
    result: StepResult,
    /** The context right after the step (a completed step): kept as a snapshot when the checkpoint strategy says so. */
    after: WorkflowContext | null = null,
  ): Recorded {
    const status = result.success ? 'completed' : 'failed';
    if (result.success) {
      this.completed.push(step.name);
      this.lastCompletedStep = step.name;
    } else this.failed.push(step.name);
    this.lastStatus[position] = status;
    this.executions.push({
      name: step.name,
      type: step.type,
      status,
      iteration,
      attempts,
      durationMs,
      error: result.error,
      errorCategory: result.errorCategory,
      quality: result.quality,
      idempotencyKey: key,
    });
    const every = this.checkpointEvery;
    const snapshot = result.success && after !== null && (step.checkpoint || result.checkpoint || (every !== null && this.completed.length % every === 0)) ? after : null;
    return this.write(step, iteration, attempts, status, key, startedAt, durationMs, result, snapshot);
  }

  /** Wake-up times of wait steps (signal waits: deadlines, infinite when none) recorded before the run stopped, by step idempotency key. */
  readonly wakes = new Map<string, number>();

  /**
   * Records the wake-up time of a wait step as it begins waiting; for a signal wait, the signal
   * and its deadline (null: none).
   */
  waiting(step: StepDefinition, iteration: number, key: string, startedAt: number, wakeAt: number | null, signal?: string): Recorded {
    const output = { wakeAt: wakeAt === null ? null : new Date(wakeAt).toISOString(), ...(signal !== undefined && { signal }) };
    // the run is about to wait: its counters go with this record
    this.countersAt = Number.NEGATIVE_INFINITY;
    return this.write(step, iteration, 1, 'waiting', key, startedAt, 0, StepResult.ok(output));
  }

  /**
   * True when the run, having gone to its end, is 'partial': a step failed under CONTINUE, or a
   * map step completed with failed items (it tolerated them).
   */
  partial(): boolean {
    if (this.failed.length > 0) return true;
    return this.executions.some((e) => e.type === 'map' && e.status === 'completed' && (e.quality?.invalidCount ?? 0) > 0);
  }

  /**
   * Records a step that was not run, and why: routed past, a dependency not met, a start from a
   * later step (with the output a given context had for it: `seededOutput`), or the step's own
   * `StepResult.skip` (which may route: `nextStep`).
   */
  skip(
    step: StepDefinition,
    position: number,
    reason: string,
    now: number,
    seededOutput?: Readonly<Record<string, unknown>>,
    nextStep: string | null = null,
    /** The step's own skip (`StepResult.skip`): the execution that skipped, whose iteration, attempt and key the row keeps. */
    execution: { readonly iteration: number; readonly attempt: number; readonly durationMs: number } | null = null,
  ): Recorded {
    const iteration = execution?.iteration ?? this.iterations[position]! + 1;
    const attempts = execution?.attempt ?? 0;
    const key = `${this.runId}:${step.name}:${iteration}`;
    this.skipped.push(step.name);
    this.lastStatus[position] = 'skipped';
    this.executions.push({
      name: step.name,
      type: step.type,
      status: 'skipped',
      iteration,
      attempts,
      durationMs: execution?.durationMs ?? 0,
      error: null,
      errorCategory: null,
      quality: null,
      idempotencyKey: key,
      reason,
    });
    // the reason is kept in the row's error column (a skipped row has no error); a given context's output in its output
    const row = StepResult.ok(seededOutput ?? null, nextStep === null ? {} : { nextStep });
    return this.write(step, iteration, attempts, 'skipped', key, now, execution?.durationMs ?? 0, row, null, reason);
  }

  private write(
    step: StepDefinition,
    iteration: number,
    attempt: number,
    status: StepStatus,
    idempotencyKey: string,
    startedAt: number,
    durationMs: number,
    result: StepResult | null,
    snapshot: WorkflowContext | null = null,
    skipReason: string | null = null,
  ): Recorded {
    if (this.store === null) return undefined;
    const running = this.running;
    this.syncCounters();
    const now = performance.now();
    running.countersDue = now - this.countersAt >= COUNTERS_EVERY_MS;
    if (running.countersDue) this.countersAt = now;
    // counters held back: they follow on their own unless another step takes them first
    else if (this.trailing === null && this.store.recordProgress !== undefined) this.trailing = setTimeout(this.writeCounters, COUNTERS_EVERY_MS).unref();
    running.snapshot = snapshot === null ? null : (snapshot.toJSON() as unknown as Record<string, unknown>);
    if (running.countersDue && this.trailing !== null) this.stop();
    return this.store.recordStep(
      {
        runId: this.runId,
        stepName: step.name,
        stepType: step.type,
        iteration,
        attempt,
        status,
        idempotencyKey,
        startedAt: new Date(startedAt),
        finishedAt: new Date(startedAt + durationMs),
        durationMs,
        output: result === null || (status === 'skipped' && Object.keys(result.output).length === 0) ? null : result.output,
        contextUpdates: result === null || !result.success || status === 'skipped' ? null : result.contextUpdates,
        error: result?.error ?? skipReason,
        errorCategory: result?.errorCategory ?? null,
        quality: result?.quality?.toJSON() ?? null,
        nextStep: result?.nextStep ?? null,
      },
      running,
    );
  }
}
