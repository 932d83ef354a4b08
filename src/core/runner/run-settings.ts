import type { Clock } from '../clock/clock.port';
import type { StepDefinition } from '../definition/step-definition';
import type { WorkflowDefinition } from '../definition/workflow-definition';
import type { Dispatcher } from '../pipeline/pipeline.types';
import type { RetryPolicy } from '../policy/retry-policy';
import type { StepRecord } from '../store/run-record';
import type { RunStore } from '../store/run-store.port';
import type { RunEventListener } from './run-event';
import type { StepMiddleware } from './step-middleware';
import type { ParamsValidator } from './workflow-runner';

/** Everything a run borrows from its runner. */
export interface RunnerServices {
  readonly dispatcher: Dispatcher;
  readonly store: RunStore;
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
}

/** Who owns the runs a runner executes, for how long a lease lasts, and how often it is renewed. */
export interface LeaseSettings {
  readonly owner: string;
  readonly durationMs: number;
  readonly heartbeatMs: number;
}

/** How one run is executed. */
export interface RunSettings {
  readonly dryRun: boolean;
  readonly startFrom: string | null;
  /** Cancels the run and aborts its running step. */
  readonly signal: AbortSignal | null;
  /** Ends the run 'stopped' at the next step boundary, leaving the running step alone. */
  readonly stopSignal: AbortSignal | null;
  /**
   * Graceful shutdown: at the next step boundary the run is left running with its lease released,
   * for another process to continue at once (a run without a lease to release ends 'stopped').
   */
  readonly handoffSignal: AbortSignal | null;
  readonly persist: boolean;
  /** Owned through a lease (top-level recorded runs); map items are not: their parent is. */
  readonly leased: boolean;
  readonly keepEvents: boolean;
  readonly parentRunId: string | null;
  /** The recorded steps of a run being resumed (null for a new run). */
  readonly resume: readonly StepRecord[] | null;
}
