import type { QualityDegradedHook, QualityTrendOptions } from '../quality/quality-trend';
import type { RunTrigger } from '../schedule/trigger';
import type { RunTelemetry, RunTrace } from './run-telemetry';
import type { SpineLogger } from '../logging/logger.port';
import type { SignalNotices } from './signal-notices';
import type { Clock } from '../clock/clock.port';
import type { StepDefinition } from '../definition/step-definition';
import type { WorkflowDefinition } from '../definition/workflow-definition';
import type { Dispatcher } from '../pipeline/pipeline.types';
import type { RetryPolicy } from '../policy/retry-policy';
import type { RunRecord, StepRecord } from '../store/records/run-record';
import type { SpineStore } from '../store/ports/spine-store';
import type { RunEventListener } from './run-event';
import type { LeaseGuard, LeaseSettings } from './lease-guard';
import type { StepMiddleware } from './step-middleware';
import type { ParamsValidator } from './runner-options';
import type { ClaimedRun, QueueLimits } from '../store/records/queue-record';
import type { HeldDefinitions } from '../store/records/held-definitions';
import type { ClaimedRunOptions } from './runner-options';
import type { WorkflowResult } from './workflow-result';

/** Everything a run borrows from its runner. */
export interface RunnerServices {
  readonly dispatcher: Dispatcher;
  readonly store: SpineStore;
  readonly clock: Clock;
  readonly middleware: readonly StepMiddleware[];
  readonly onEvent: RunEventListener | null;
  readonly defaultRetry: RetryPolicy;
  readonly defaultTimeoutMs: number | null;
  readonly random: () => number;
  /** The lease persisted runs are owned under. */
  readonly lease: LeaseSettings;
  iteratorWorkflow(iterator: WorkflowDefinition | StepDefinition | string): WorkflowDefinition;
  /** Checks a map item's params against its iterator (null: not checked). */
  readonly itemParamsValidator: ParamsValidator | null;
  /** A step whose execution was lost this many times in a row fails the run (poison step). */
  readonly maxLostExecutions: number;
  /** Executes a run claimed from the queue here (a distributed map run in place helps with its own items). */
  runClaimed(claimed: ClaimedRun, options: ClaimedRunOptions): Promise<WorkflowResult>;
  /** Limits of the queues declared in code (claims of a map's own items respect them). */
  readonly queueLimits: Readonly<Record<string, QueueLimits>>;
  /** The definitions this runner holds: the runs it may claim (see `HeldDefinitions`). */
  held(): HeldDefinitions;
  /** The application build new runs record (null: not known). */
  readonly appVersion: string | null;
  /** Wakes signal waits of this process's runs when it sends them a signal. */
  readonly signals: SignalNotices;
  /** How often a run waiting in place for a signal looks for one another process sent (ms). */
  readonly signalPollMs: number;
  /** Traces and metrics of runs (null: none). */
  readonly telemetry: RunTelemetry | null;
  /** The runner's quality degradation hook and trend (null: none given). */
  readonly onQualityDegraded: QualityDegradedHook | null;
  readonly qualityTrend: Required<QualityTrendOptions> | null;
  /** Where the runner logs (a listener that threw, events it could not store). */
  readonly logger: SpineLogger;
}

/** How one run is executed. */
export interface RunSettings {
  readonly dryRun: boolean;
  readonly startFrom: string | null;
  /** A new run started from a given context: the steps before `startFrom` keep its outputs (on their skipped rows). */
  readonly seeded?: boolean;
  /** Cancels the run and aborts its running step. */
  readonly signal: AbortSignal | null;
  /**
   * Race each step against its signal, so an aborted step's attempt ends at once even if the step
   * ignores the signal (true when the caller gave a signal; map items inherit it). Otherwise an
   * aborted step's signal is still aborted, and the run waits for the step to return.
   */
  readonly raceAborts: boolean;
  /** Ends the run 'stopped' at the next step boundary, leaving the running step alone. */
  readonly stopSignal: AbortSignal | null;
  /**
   * Graceful shutdown: at the next step boundary the run is left running with its lease released,
   * for another process to continue at once (a run without a lease to release ends 'stopped').
   */
  readonly handoffSignal: AbortSignal | null;
  readonly persist: boolean;
  /** Owned through a lease (top-level recorded runs); map items are not: their top-level run is. */
  readonly leased: boolean;
  readonly keepEvents: boolean;
  readonly parentRunId: string | null;
  /** A map item's top-level run (null for a top-level run). */
  readonly rootRunId: string | null;
  /** A map item: the guard of its top-level run's claim, which fences the item's writes too. */
  readonly guard: LeaseGuard | null;
  /** How deep in map items this run is (0: a top-level run). */
  readonly depth: number;
  /** A run being resumed (null for a new run). */
  readonly resume: ResumeState | null;
  /** A worker's run: waits longer than this park the run (see `StepEnvironment.parkAfterMs`); null otherwise. */
  readonly parkAfterMs: number | null;
  /** What started a new top-level run (recorded with it). */
  readonly trigger?: RunTrigger;
  /** The trace begun for a new run before its context was made (its trace id is the run's). */
  readonly trace?: RunTrace | null;
  /** The W3C traceparent a new run is recorded with (its resumes continue that trace). */
  readonly traceparent?: string | null;
}

/** What a resumed run continues from. */
export interface ResumeState {
  /** The run as it was found before it was claimed (or, for a map item, re-run). */
  readonly run: RunRecord;
  /** Its recorded steps. */
  readonly records: readonly StepRecord[];
  /** The claim a top-level run was resumed under (map items: their top-level run's guard fences them). */
  readonly claim: { readonly epoch: number; readonly at: number } | null;
  /** Its previous execution was lost (its process died or was cut off) rather than ending. */
  readonly lost: boolean;
  /** A queued run a worker starts: nothing to replay, and it reports `run_started`. */
  readonly firstStart?: boolean;
}
