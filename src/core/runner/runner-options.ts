import type { QualityDegradedHook, QualityTrendOptions } from '../quality/quality-trend';
import type { TriggerSource } from '../schedule/trigger';
import type { Clock } from '../clock/clock.port';
import type { Partition, WorkflowContext } from '../context/workflow-context';
import type { WorkflowDeclaration, WorkflowDefinition, WorkflowLookup } from '../definition/workflow-definition';
import type { Dispatcher, PipelineLookup } from '../pipeline/pipeline.types';
import type { RetryPolicy, RetryPolicyOptions } from '../policy/retry-policy';
import type { RunStore, SpineStore } from '../store/ports/spine-store';
import type { RunEventListener } from './run-event';
import type { RunTelemetry } from './run-telemetry';
import type { SpineLogger } from '../logging/logger.port';
import type { StepMiddleware } from './step-middleware';
import type { QueueLimits } from '../store/records/queue-record';

/** How a runner is set up; every field is optional. */
export interface WorkflowRunnerOptions {
  /** The application build the runs started here record (see `SpineOptions.appVersion`; default none). */
  readonly appVersion?: string | null;
  /** Pipelines run in-process (ignored when `dispatcher` is given). */
  readonly pipelines?: PipelineLookup;
  readonly dispatcher?: Dispatcher;
  /** Where runs are recorded (default: in memory). */
  readonly store?: RunStore | SpineStore;
  /** Wraps every step attempt, outermost first. */
  readonly middleware?: readonly StepMiddleware[];
  readonly onEvent?: RunEventListener;
  /** Retry policy of steps with `onError: RETRY` and no `retry` of their own. */
  readonly defaultRetry?: RetryPolicy | RetryPolicyOptions;
  /** Timeout of steps without `timeoutMs` (default none). */
  readonly defaultTimeoutMs?: number;
  readonly clock?: Clock;
  /** Workflows that map iterators may name. */
  readonly workflows?: WorkflowLookup;
  /** Source of randomness for retry jitter (tests pin it). */
  readonly random?: () => number;
  /**
   * How recorded runs are owned: `owner` (default host:pid:random), lease `durationMs` (default
   * 30 s) renewed every `heartbeatMs` (default 10 s). A run whose lease expired — its process
   * died — may be resumed by anyone; a writer whose lease was taken over is fenced off.
   */
  readonly lease?: { readonly owner?: string; readonly durationMs?: number; readonly heartbeatMs?: number };
  /**
   * Checks (and may convert) the params of each map item's run against its iterator workflow
   * before the item runs; throwing fails that item (category VALIDATION) with the message.
   * `Spine` passes the iterator's params class (`@Workflow({ params })`).
   */
  readonly itemParamsValidator?: ParamsValidator;
  /**
   * Poison steps: a step whose execution is lost this many times in a row (its process dies or
   * the store refuses its result each time) fails the run, naming the step and the cause, instead
   * of being recovered for ever. Default 3.
   */
  readonly maxLostExecutions?: number;
  /**
   * How often a run waiting in place for a signal (not parked by a worker) looks for one sent by
   * another process (default 1 s); a signal sent through this runner wakes it at once.
   */
  readonly signalPollMs?: number;
  /**
   * Called when a step's valid rate falls below the average of its recent executions by more than
   * a margin (`qualityTrend`): the design's alert on quality degradation. A `quality_degraded`
   * event is recorded too. A workflow may have its own (`Workflow.define({ onQualityDegraded })`).
   */
  readonly onQualityDegraded?: QualityDegradedHook;
  /** When a step counts as degraded (default 5 points below the average valid rate of its last 20 executions, once 5 are known). Setting it alone records `quality_degraded` events without a hook. */
  readonly qualityTrend?: QualityTrendOptions;
  /** Limits of queues declared in code (`{ finra: { concurrency: 2 } }`): claims made by this runner respect them. */
  readonly queues?: Readonly<Record<string, QueueLimits>>;
  /** Traces and metrics of runs (`Spine` passes its OpenTelemetry adapter); default none. */
  readonly telemetry?: RunTelemetry | null;
  /** Where the runner logs: pino or any `info/warn/error(fields, message)` (default: the console). */
  readonly logger?: SpineLogger;
}

/** Checks a run's params for a workflow; returns them (converted as need be) or throws naming what is wrong. */
export type ParamsValidator = (workflow: WorkflowDefinition, params: Readonly<Record<string, unknown>>) => Readonly<Record<string, unknown>> | Promise<Readonly<Record<string, unknown>>>;

/** What a new run is recorded with, however it is started. */
export interface NewRunOptions {
  /**
   * Starting by name (`spine.run`, `start`, `enqueue`): the registered version of the workflow to
   * start (default the highest). The run stays on it to its end.
   */
  readonly version?: number;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly partition?: Partition | null;
  readonly batchId?: string | null;
  readonly traceId?: string;
  readonly runId?: string;
  readonly asOfDate?: string | null;
  readonly captureId?: string | null;
  /** A second start (or enqueue) with the same key returns the earlier run, whatever its state, instead of another. */
  readonly idempotencyKey?: string | null;
  /** What started the run, recorded with it (default 'api'; the CLI records 'cli'). */
  readonly triggerSource?: TriggerSource;
  /** W3C traceparent the run continues (default: the span active when it is started or enqueued, if telemetry is on). */
  readonly traceparent?: string | null;
}

/** How one run is started. */
export interface ExecuteOptions extends NewRunOptions {
  readonly metadata?: Readonly<Record<string, unknown>>;
  /**
   * Starts at this step; earlier steps are recorded as skipped. With the `runId` of an existing
   * run (failed, stopped or interrupted), that run is resumed from this step instead (see
   * `ResumeOptions.startFrom`).
   */
  readonly startFrom?: string;
  /**
   * A new run starting from a given context (e.g. `WorkflowContext.fromJSON((await
   * spine.getCheckpoint(runId, step)).context).withParams({ force: true })`): its params,
   * partition and metadata, and the outputs of the steps before `startFrom` (kept on their skipped
   * rows, so a resume after a crash has them too). `startFrom` defaults to the step after the
   * context's last completed step. The run gets a run id of its own.
   */
  readonly context?: WorkflowContext;
  /** Pipelines are not called (they report what would run); lambdas see `ctx.metadata.dryRun === true`. */
  readonly dryRun?: boolean;
  /** Aborting it cancels the run and aborts the running step's signal. */
  readonly signal?: AbortSignal;
  /** Aborting it stops the run at the next step boundary without touching the running step. */
  readonly stopSignal?: AbortSignal;
  /**
   * Graceful shutdown: aborting it ends this process's part at the next step boundary, leaving a
   * recorded run running with its lease released so another process continues it at once; the
   * result's status is then 'running'. Without a durable store the run ends 'stopped'.
   */
  readonly handoffSignal?: AbortSignal;
}

/** How a run is enqueued for a worker (`WorkflowRunner.enqueue`). */
export interface EnqueueOptions extends NewRunOptions {
  /** Default: the workflow's queue (`@Workflow({ queue })`), else 'default'. */
  readonly queue?: string;
  /** Lower runs first (default 0); FIFO within a priority. */
  readonly priority?: number;
  /** Runs sharing a key never run more than the queue's `perKeyConcurrency` (default 1) at once. */
  readonly concurrencyKey?: string | null;
  /** Not started before this time (default: now). */
  readonly notBefore?: Date;
}

/** How a worker executes a run it claimed (`WorkflowRunner.runClaimed`). */
export interface ClaimedRunOptions {
  /** Waits longer than this park the run instead of holding the worker's slot (default: the lease duration). */
  readonly parkAfterMs?: number;
  readonly stopSignal?: AbortSignal;
  readonly handoffSignal?: AbortSignal;
}

/** How a run is resumed. */
export interface ResumeOptions {
  /** Params merged over the ones the run started with (e.g. a fixed input path). */
  readonly paramsOverride?: Readonly<Record<string, unknown>>;
  /** Who overrides the params, recorded with the override (a `params_overridden` event; default 'api'; at most 255 characters). */
  readonly by?: string;
  /** The workflow to resume with (default: found by the run's workflow name through `workflows`). */
  readonly workflow?: WorkflowDefinition | WorkflowDeclaration;
  /** Resume even when the definition changed since the run started. */
  readonly allowDefinitionChange?: boolean;
  /**
   * Continue at this step instead of where the run stopped: a later step skips the ones in
   * between (recorded as skipped), an earlier one runs the steps from there again.
   */
  readonly startFrom?: string;
  readonly signal?: AbortSignal;
  readonly stopSignal?: AbortSignal;
  /** See `ExecuteOptions.handoffSignal`. */
  readonly handoffSignal?: AbortSignal;
}

/** How a recovery pass runs. */
export interface RecoverOptions {
  /** Expired runs looked at in this pass (default 100). */
  readonly limit?: number;
  /** Recovered runs executing at once, across passes of this runner (default 8); the rest wait for a later pass. */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly stopSignal?: AbortSignal;
  readonly handoffSignal?: AbortSignal;
}
