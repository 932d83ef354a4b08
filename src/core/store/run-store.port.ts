import type { RunEvent } from '../runner/run-event';
import type { WorkflowSpec } from '../definition/workflow-spec';
import type { CheckpointRecord, PurgeCriteria, QualityPoint, RunFilter, RunOutcome, RunProgress, RunRecord, StepRecord } from './run-record';

/** What a new run is created with (its lease included). */
export type NewRun = Omit<
  RunRecord,
  Exclude<keyof RunProgress, 'leaseOwner'> | 'finishedAt' | 'durationMs' | 'errorStep' | 'error' | 'errorCategory' | 'cancelRequested'
>;

/** A lease to take: who, and until when. */
export interface Lease {
  readonly owner: string;
  readonly expiresAt: Date;
}

/** What `claimRun` did: took the lease, or found it held by someone else. */
export type ClaimOutcome =
  | { readonly claimed: true; readonly run: RunRecord }
  | { readonly claimed: false; readonly run: RunRecord | null };

/** What `createRun` did: created the run, or found an earlier run with the same idempotency key. */
export type CreateRunOutcome = { readonly created: true } | { readonly created: false; readonly run: RunRecord };

/**
 * Port: where runs and their steps are recorded. The in-memory store is the default; durable
 * stores implement the same contract (each `recordStep` commits the step row and the run's
 * progress together).
 */
export interface RunStore {
  /** True when records outlive the process (a database): map items are then recorded as runs of their own. */
  readonly durable?: boolean;
  /** Creates the run; when its idempotency key was used before, creates nothing and returns that run. */
  createRun(run: NewRun): Promise<CreateRunOutcome>;
  /**
   * Records one step execution and the run's new progress, atomically. May complete synchronously
   * (the hot path skips a promise then). `progress` is only valid during the call: copy what you keep.
   * When `progress.leaseOwner` is set and another owner holds the run, nothing is written and a
   * `LeaseLostError` is thrown (the writer was fenced off).
   */
  recordStep(step: StepRecord, progress: RunProgress): Promise<void> | void;
  /**
   * Optional: why a successful step's output or context updates cannot be stored (null when they
   * can). Stores that serialise implement it, so such a step fails cleanly (category VALIDATION)
   * and the run stays resumable, instead of the write failing.
   */
  checkStorable?(step: string, output: unknown, contextUpdates: unknown): string | null;
  /**
   * Takes the run's lease for `lease.owner` when nobody holds it, it expired before `now`, or the
   * owner already holds it. A run that completed or was cancelled is never claimed.
   */
  claimRun(runId: string, lease: Lease, now: Date): Promise<ClaimOutcome>;
  /** Extends a held lease; `held: false` when the owner lost it. Reports a cancellation request too. */
  renewLease(runId: string, lease: Lease): Promise<{ readonly held: boolean; readonly cancelRequested: boolean }>;
  /**
   * Optional: gives up a held lease without finishing the run (graceful shutdown): the run stays
   * running and its lease expires now, so any process may claim it at once. A no-op when `owner`
   * no longer holds it.
   */
  releaseLease?(runId: string, owner: string): Promise<void>;
  /** Asks the run's owner to cancel it at the next step boundary; returns the run (null when unknown). */
  requestCancel(runId: string): Promise<RunRecord | null>;
  /** Runs still running or waiting whose lease expired before `now`, oldest first: their process died. */
  listExpiredRuns(now: Date, limit: number): Promise<RunRecord[]>;
  /** Marks a claimed run as running again, with the params it resumes with. */
  reopenRun(runId: string, params: Readonly<Record<string, unknown>>): Promise<void>;
  /** Records how the run ended and releases its lease; refused (LeaseLostError) when `outcome.leaseOwner` no longer holds it. */
  finishRun(runId: string, outcome: RunOutcome): Promise<void>;
  getRun(runId: string): Promise<RunRecord | null>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /** Every recorded step execution of a run, in the order they were recorded. */
  getRunSteps(runId: string): Promise<StepRecord[]>;
  /** Optional: keeps a run's events (a durable store writes them to its events table). Called in batches. */
  recordEvents?(events: readonly RunEvent[]): Promise<void> | void;
  /** Optional: keeps a workflow definition (its JSON spec and hash) once per name and hash. */
  saveDefinition?(spec: WorkflowSpec, hash: string): Promise<void>;
  /** The run's checkpoints (one per completed step), in order. */
  listCheckpoints(runId: string): Promise<CheckpointRecord[]>;
  /** Quality metrics a workflow's step recorded in runs started since `since`, oldest first (completed and failed executions). */
  qualityTrend(workflow: string, step: string, since: Date): Promise<QualityPoint[]>;
  /** Deletes finished runs (and their steps, checkpoints and events) per the criteria; returns how many runs went. */
  purge(criteria: PurgeCriteria): Promise<number>;
}
