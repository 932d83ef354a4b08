import type { ErrorCategory } from '../policy/error-category';

/** Fields every event of a run has. */
interface RunEventCommon {
  readonly runId: string;
  readonly traceId: string;
  readonly workflow: string;
  /** Epoch milliseconds from the runner's clock. */
  readonly timestamp: number;
  /** Map items: the run that started this child run. */
  readonly parentRunId?: string;
  /** The step the event is about (a run's end: the step it failed at). */
  readonly step?: string;
  readonly attempt?: number;
  readonly iteration?: number;
  readonly durationMs?: number;
  /** Run events of a run a worker claimed from a queue (a distributed map's item too): the queue. */
  readonly queue?: string;
}

/** An event of each type in `T`, with the fields those types carry (one union member per type, so `type` narrows). */
type EventOf<T extends string, Fields = unknown> = T extends string ? RunEventCommon & { readonly type: T } & Fields : never;

/** What a failure says: the error and its category. */
interface Failure {
  readonly error: string;
  readonly errorCategory: ErrorCategory;
}

/** One definition of a workflow: its version and hash. */
export interface RunDefinitionRef {
  readonly version: number;
  readonly hash: string;
}

/** One structured event of a run, told apart by `type` (narrow on it to read a type's own fields). */
export type RunEvent =
  /** The claim's epoch the run executes under (its fencing token). */
  | EventOf<'run_started' | 'run_resumed', { readonly epoch?: number }>
  /** A 'partial' run: `partial`, with the steps that failed under CONTINUE and the map steps' failed item counts. */
  | EventOf<'run_completed', { readonly partial?: boolean; readonly failedSteps?: readonly string[]; readonly failedItems?: Readonly<Record<string, number>> }>
  | EventOf<'run_failed' | 'run_cancelled' | 'run_stopped', Partial<Failure>>
  /** Graceful shutdown: the run is still running, its lease released for another process to continue it. */
  | EventOf<'run_handed_off', { readonly reason: string }>
  /** A worker's run parked (a long wait, a distributed map's items): its lease released until its wake-up time. */
  | EventOf<'run_parked', { readonly reason: string }>
  /** A failed or stopped run put back on its queue (`requeue`), for a worker to resume; `queue` names it. */
  | EventOf<'run_requeued', { readonly reason?: string }>
  /**
   * The run moved to another definition of its workflow: `by` 'continue' (a process continued it
   * on its changed definition, `onDefinitionChange: 'continue'`) or 'migrate' (`spine.migrateRuns`);
   * `renames` are the step rows renamed (old → new).
   */
  | EventOf<'run_migrated', { readonly from: RunDefinitionRef; readonly to: RunDefinitionRef; readonly by: 'continue' | 'migrate'; readonly renames?: Readonly<Record<string, string>> }>
  /** A process met the run but lacks the definition it is pinned to (version, hash): it left the run to a process that holds it. */
  | EventOf<'run_stranded', { readonly reason: string; readonly version: number; readonly hash: string }>
  | EventOf<'step_started' | 'step_completed'>
  | EventOf<'step_failed', Failure>
  /** The delay before the next attempt. */
  | EventOf<'step_retried', Failure & { readonly delayMs: number }>
  | EventOf<'step_skipped', { readonly reason: string }>
  /** A step whose attempt ended at a deadline (its timeout, the run's) returned afterwards, `outcome`: its result was refused, not recorded. */
  | EventOf<'step_late_result', { readonly outcome: 'completed' | 'failed'; readonly reason: string }>
  /** The breached thresholds. */
  | EventOf<'quality_warning', { readonly violations: readonly string[] }>
  /** A resume or a requeue overrode params: who (`by`), which `fields`, their new `values` and their values before (`previous`; a field new to the run is absent there). */
  | EventOf<
      'params_overridden',
      {
        readonly by: string;
        readonly via: 'resume' | 'requeue';
        readonly fields: readonly string[];
        readonly values: Readonly<Record<string, unknown>>;
        readonly previous: Readonly<Record<string, unknown>>;
      }
    >
  /** A step's valid rate fell below the average of its recent executions (`trendRate`, over `runs` of them) by more than `margin`. */
  | EventOf<'quality_degraded', { readonly validRate: number; readonly trendRate: number; readonly margin: number; readonly runs: number }>
  /** A step began waiting for a signal, until `until` (ISO) if it has a deadline; an 'approve' quality gate waits for `approval:<step>` (`violations`). */
  | EventOf<'signal_waiting', { readonly signal: string; readonly until?: string; readonly violations?: readonly string[] }>
  /** A signal wait consumed the signal named. */
  | EventOf<'signal_received', { readonly signal: string }>
  /** A record a step returned in its result's `events`: stored, tied to run, step and attempt. */
  | EventOf<'step_event', { readonly event: Readonly<Record<string, unknown>> }>
  /** A map step's items so far: finished (completed or failed), failed, and all; handed to `onEvent` only (neither kept on the result nor stored). */
  | EventOf<'map_progress', { readonly done: number; readonly failed: number; readonly total: number }>;

/** The kinds of event a run emits. */
export type RunEventType = RunEvent['type'];

/** The fields of each event type but those of the run it belongs to (what the runner emits; the log adds run, trace, workflow, time and parent). */
export type RunEventInit = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'runId' | 'traceId' | 'workflow' | 'timestamp' | 'parentRunId'> : never) : never;

/** Receives every event of every run the runner executes (children of map steps included). */
export type RunEventListener = (event: RunEvent) => void;
