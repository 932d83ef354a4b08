import type { ErrorCategory } from '../policy/error-category';

/** The kinds of event a run emits. */
export type RunEventType =
  | 'run_started'
  | 'run_resumed'
  | 'run_completed'
  | 'run_failed'
  | 'run_cancelled'
  | 'run_stopped'
  /** Graceful shutdown: the run is still running, its lease released for another process to continue it. */
  | 'run_handed_off'
  /** A worker's run parked (a long wait, a distributed map's items): its lease released until its wake-up time. */
  | 'run_parked'
  /** A failed or stopped run put back on its queue (`requeue`), for a worker to resume; `queue` names it. */
  | 'run_requeued'
  | 'step_started'
  | 'step_completed'
  | 'step_failed'
  | 'step_retried'
  | 'step_skipped'
  | 'quality_warning'
  /** A step began waiting for a signal (`signal`); an 'approve' quality gate waits for `approval:<step>` (`violations`). */
  | 'signal_waiting'
  /** A signal wait consumed the signal named. */
  | 'signal_received'
  /** A record a step returned in its result's `events` (`event`): stored, tied to run, step and attempt. */
  | 'step_event'
  /** A map step's items so far; handed to `onEvent` only (neither kept on the result nor stored). */
  | 'map_progress';

/** One structured event of a run. */
export interface RunEvent {
  readonly type: RunEventType;
  readonly runId: string;
  readonly traceId: string;
  readonly workflow: string;
  /** Epoch milliseconds from the runner's clock. */
  readonly timestamp: number;
  readonly step?: string;
  readonly attempt?: number;
  readonly iteration?: number;
  readonly durationMs?: number;
  readonly error?: string;
  readonly errorCategory?: ErrorCategory;
  /** step_retried: the delay before the next attempt. */
  readonly delayMs?: number;
  /** step_skipped: why. */
  readonly reason?: string;
  /** quality_warning: the breached thresholds. */
  readonly violations?: readonly string[];
  /** map_progress: items finished (completed or failed), failed, and all items of the map step. */
  readonly done?: number;
  readonly failed?: number;
  readonly total?: number;
  /** run_started / run_resumed: the epoch of the claim the run executes under (its fencing token). */
  readonly epoch?: number;
  /** Map items: the run that started this child run. */
  readonly parentRunId?: string;
  /** signal_waiting / signal_received: the signal's name; signal_waiting: the wait's deadline (ISO), if any. */
  readonly signal?: string;
  readonly until?: string;
  /** Run events of a run a worker claimed from a queue (a distributed map's item too): the queue. */
  readonly queue?: string;
  /** step_event: the record the step returned. */
  readonly event?: Readonly<Record<string, unknown>>;
  /** run_completed of a 'partial' run: true, with the steps that failed under CONTINUE and the map steps' failed item counts. */
  readonly partial?: boolean;
  readonly failedSteps?: readonly string[];
  readonly failedItems?: Readonly<Record<string, number>>;
}

/** Receives every event of every run the runner executes (children of map steps included). */
export type RunEventListener = (event: RunEvent) => void;
