import type { WorkflowContext } from '../context/workflow-context';
import type { ErrorPolicy } from '../policy/error-policy';
import type { RetryPolicy, RetryPolicyOptions } from '../policy/retry-policy';
import type { QualityThresholds, QualityThresholdsInit } from '../quality/quality-thresholds';
import type { StepResult } from '../result/step-result';
import type { WorkflowDeclaration, WorkflowDefinition } from './workflow-definition';

/** The kinds of step. */
export type StepType = 'lambda' | 'pipeline' | 'choice' | 'wait' | 'map';

/** 'fail': a breached quality threshold fails the step (hard gate); 'warn': it is only recorded. */
/**
 * What a breach of a step's quality thresholds does: 'fail' the step (category DATA_QUALITY),
 * 'warn' (recorded, the run goes on), or 'approve': the run waits — parked, holding no worker —
 * for a person's decision, the signal `approval:<step>` with payload `{ approved: boolean, note? }`
 * (`spine.approve` / `spine.reject`): approved goes on, rejected fails the step (DATA_QUALITY).
 */
export type QualityMode = 'fail' | 'warn' | 'approve';

/** Values that live as long as one run (a map item is a run of its own). */
export interface RunScope {
  /** The value kept under `key` in this run, made by `create` on first use. */
  getOrCreate<T>(key: object, create: () => T): T;
}

/** What a step execution is handed besides the context and its config. */
export interface StepRuntime {
  /** Aborted when the step times out or the run is cancelled. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Stable across retries and resumes of the same step execution: `<runId>:<step>:<iteration>`. */
  readonly idempotencyKey: string;
  /** Per-run values, e.g. the instance a class-based workflow's methods run on. */
  readonly scope: RunScope;
  /**
   * The epoch of the claim this execution runs under (its top-level run's, for a map item): a
   * fencing token. It grows with every claim of the run, so a system that keeps the highest epoch
   * it has seen per run can refuse writes from a stale execution. 0 when the run is not leased.
   */
  readonly epoch: number;
}

/** What a lambda may return: a result, a plain output object, or nothing. */
export type LambdaReturn = StepResult | Readonly<Record<string, unknown>> | void | undefined;

/** An inline step function. */
export type LambdaHandler = (ctx: WorkflowContext, config: Readonly<Record<string, unknown>>, step: StepRuntime) => LambdaReturn | Promise<LambdaReturn>;

/** Computes extra pipeline params from the context. */
export type ParamsFactory = (ctx: WorkflowContext, step: StepRuntime) => Readonly<Record<string, unknown>> | void | undefined | Promise<Readonly<Record<string, unknown>> | void | undefined>;

/** A choice's condition. */
export type ChoiceCondition = (ctx: WorkflowContext, step: StepRuntime) => boolean | Promise<boolean>;

/** When a wait ends: a Date, an ISO string or epoch milliseconds. */
export type WaitUntil = (ctx: WorkflowContext, step: StepRuntime) => Date | string | number | Promise<Date | string | number>;

/** Produces the collection a map step fans out over. */
export type ItemsFactory = (ctx: WorkflowContext, step: StepRuntime) => readonly unknown[] | Promise<readonly unknown[]>;

/** Options every step type accepts. */
export interface StepOptions {
  readonly description?: string | null;
  /** STOP (default), CONTINUE or RETRY. */
  readonly onError?: ErrorPolicy;
  /** Retry policy; giving one makes the step retry even when `onError` is not RETRY. */
  readonly retry?: RetryPolicy | RetryPolicyOptions | null;
  /** Aborts the step's signal and fails it with TIMEOUT after this many milliseconds. */
  readonly timeoutMs?: number | null;
  /** Quality gate checked against the metrics the step reports. */
  readonly quality?: QualityThresholds | QualityThresholdsInit | null;
  readonly qualityMode?: QualityMode;
  /** The step to run after this one (default: the next declared; `Workflow.END` ends the run). */
  readonly next?: string | null;
  /** Steps that must have completed in this run; otherwise this step is skipped. */
  readonly dependsOn?: readonly string[];
  /** Keep a snapshot of the run's context when this step completes (served by `getCheckpoint`); the design's per-step checkpoint flag. */
  readonly checkpoint?: boolean;
}

/** Options of a lambda step. */
export interface LambdaStepOptions extends StepOptions {
  readonly config?: Readonly<Record<string, unknown>>;
}

/** Options of a pipeline step. */
export interface PipelineStepOptions extends StepOptions {
  /** Params that override the run's params for this pipeline. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Extra params computed from the context (they override `params`). */
  readonly paramsFrom?: ParamsFactory | null;
}

/** Options of a choice step. */
export interface ChoiceStepOptions extends StepOptions {
  readonly when: ChoiceCondition;
  /** Step to go to when the condition holds. */
  readonly then: string;
  /** Step to go to otherwise (default: the next declared step). */
  readonly otherwise?: string | null;
}

/**
 * A wait for a signal (`spine.signal(runId, name, payload)`): its payload becomes the step's
 * output. `timeoutMs` (default none) counts from when the step first began waiting; then the step
 * fails with TIMEOUT (`onTimeout: 'fail'`, the default) or completes with `{ timedOut: true }`.
 */
export interface SignalWait {
  readonly name: string;
  readonly timeoutMs?: number | null;
  readonly onTimeout?: 'fail' | 'continue';
}

/** Options of a wait step: `seconds`, `until`, or `signal`. */
export interface WaitStepOptions extends StepOptions {
  readonly seconds?: number | null;
  /**
   * The design's `duration_path`: where in the context the wait's seconds are, read when the step
   * starts — a param (`'wait_seconds'` or `'params.wait_seconds'`) or `'outputs.<step>.<key>'`.
   */
  readonly durationPath?: string | null;
  readonly until?: WaitUntil | null;
  readonly signal?: SignalWait | null;
}

/** Options of `Step.waitForSignal`: the signal's timeout (not an attempt timeout) and what it does. */
export interface SignalWaitOptions extends Omit<StepOptions, 'timeoutMs'> {
  /** The signal's name (default: the step's name). */
  readonly signal?: string;
  readonly timeoutMs?: number | null;
  readonly onTimeout?: 'fail' | 'continue';
}

/** What a map step runs for each item: a workflow, a single step, or a workflow's name. */
export type MapIterator = WorkflowDefinition | WorkflowDeclaration | InlineIterator | StepDeclaration | string;

/**
 * A workflow given inline as a map's iterator without a name of its own (the design's
 * `iterator=Workflow(steps=[...])`): it is named `<workflow>.<map step>`.
 */
export type InlineIterator = Omit<WorkflowDeclaration, 'name'> & { readonly name?: undefined };

/** What a map step does when an item fails: see `MapStepOptions.onItemError`. */
export type MapItemErrorPolicy = 'fail' | 'partial';

/** Options of a map step: one of `items`, `itemsFrom`, `itemsPath`, and an `iterator`. */
export interface MapStepOptions extends StepOptions {
  readonly items?: readonly unknown[] | null;
  readonly itemsFrom?: ItemsFactory | null;
  /** 'params.<key>' or 'outputs.<step>.<key>'. */
  readonly itemsPath?: string | null;
  /** The param each item is set under (default 'item'). */
  readonly itemParam?: string;
  /** The param the item's index is set under, if any. */
  readonly indexParam?: string | null;
  readonly iterator: MapIterator;
  /** Items in flight at once (default 4). */
  readonly maxConcurrency?: number;
  readonly toleratedFailureCount?: number | null;
  readonly toleratedFailurePercentage?: number | null;
  /**
   * What a failed item does to the map: 'fail' (default) fails the map once more items failed than
   * tolerated (`toleratedFailureCount` / `toleratedFailurePercentage`, default none), halting the
   * items in flight; 'partial' (the design's MapErrorPolicy.PARTIAL) runs every item, the map
   * completes with the failed items in its output, and the run ends 'partial'.
   */
  readonly onItemError?: MapItemErrorPolicy | null;
  /**
   * Distributed map: each item is enqueued as a run of its own on a queue (`true`: the iterator
   * workflow's queue, else the queue named) and run by any worker; the parent waits for them
   * parked (a worker's run) or polling (a run executed in place). `maxConcurrency` does not apply:
   * the queue's limits do.
   */
  readonly distribute?: boolean | string | null;
}

/** A step as declared (options may be partial or plain objects). */
export type StepDeclaration =
  | ({ readonly type: 'lambda'; readonly name: string; readonly handler: LambdaHandler } & LambdaStepOptions)
  | ({ readonly type: 'pipeline'; readonly name: string; readonly pipeline: string } & PipelineStepOptions)
  | ({ readonly type: 'choice'; readonly name: string } & ChoiceStepOptions)
  | ({ readonly type: 'wait'; readonly name: string } & WaitStepOptions)
  | ({ readonly type: 'map'; readonly name: string } & MapStepOptions);

/** Fields every compiled step has. */
export interface StepDefinitionBase {
  readonly name: string;
  readonly description: string | null;
  readonly onError: ErrorPolicy;
  readonly retry: RetryPolicy | null;
  readonly timeoutMs: number | null;
  readonly quality: QualityThresholds | null;
  readonly qualityMode: QualityMode;
  readonly next: string | null;
  readonly dependsOn: readonly string[];
  readonly checkpoint: boolean;
}

/** A compiled lambda step. */
export interface LambdaStepDefinition extends StepDefinitionBase {
  readonly type: 'lambda';
  readonly handler: LambdaHandler;
  readonly config: Readonly<Record<string, unknown>>;
}

/** A compiled pipeline step. */
export interface PipelineStepDefinition extends StepDefinitionBase {
  readonly type: 'pipeline';
  readonly pipeline: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly paramsFrom: ParamsFactory | null;
}

/** A compiled choice step. */
export interface ChoiceStepDefinition extends StepDefinitionBase {
  readonly type: 'choice';
  readonly when: ChoiceCondition;
  readonly then: string;
  readonly otherwise: string | null;
}

/** A compiled wait step. */
export interface WaitStepDefinition extends StepDefinitionBase {
  readonly type: 'wait';
  readonly seconds: number | null;
  readonly durationPath: string | null;
  readonly until: WaitUntil | null;
  /** A wait for a signal (then `seconds` and `until` are null). */
  readonly signal: { readonly name: string; readonly timeoutMs: number | null; readonly onTimeout: 'fail' | 'continue' } | null;
}

/** A compiled map step; a single-step iterator is compiled too. */
export interface MapStepDefinition extends StepDefinitionBase {
  readonly type: 'map';
  readonly items: readonly unknown[] | null;
  readonly itemsFrom: ItemsFactory | null;
  readonly itemsPath: string | null;
  readonly itemParam: string;
  readonly indexParam: string | null;
  readonly iterator: WorkflowDefinition | StepDefinition | string;
  readonly maxConcurrency: number;
  readonly toleratedFailureCount: number | null;
  readonly toleratedFailurePercentage: number | null;
  readonly onItemError: MapItemErrorPolicy;
  /** Distributed map: `true` (the iterator's queue) or a queue name; null for a map run in place. */
  readonly distribute: true | string | null;
}

/** A compiled step: what the runner executes. */
export type StepDefinition = LambdaStepDefinition | PipelineStepDefinition | ChoiceStepDefinition | WaitStepDefinition | MapStepDefinition;
