import type { RunTrigger, TriggerSource } from '../../schedule/trigger';
import type { EnqueueSpec } from './queue-record';
import type { Fence, RunRecord, RunStatus } from './run-record';

/**
 * What a new run is created with. A top-level run with a lease (`leaseOwner` set) is created
 * claimed, at epoch 1. A map item's run names its top-level run (`rootRunId`) and is created
 * under that run's fence: a stale parent cannot create items.
 */
export interface NewRun extends Pick<
  RunRecord,
  | 'runId'
  | 'workflowName'
  | 'workflowVersion'
  | 'workflowHash'
  | 'domain'
  | 'params'
  | 'partition'
  | 'batchId'
  | 'traceId'
  | 'asOfDate'
  | 'captureId'
  | 'idempotencyKey'
  | 'parentRunId'
  | 'rootRunId'
  | 'totalSteps'
  | 'startedAt'
  | 'leaseOwner'
  | 'leaseExpiresAt'
> {
  /** The fence the creation is made under (a map item: its top-level run's); null for a top-level run. */
  readonly fence: Fence | null;
  /** Enqueued for a worker instead of run here: created 'queued', unleased, claimable from `notBefore`. */
  readonly enqueue?: EnqueueSpec | null;
  /** What started it (default: 'api'). */
  readonly trigger?: RunTrigger;
  /** W3C traceparent its executions continue (default none). */
  readonly traceparent?: string | null;
  /** The application build it starts on (default none). */
  readonly appVersion?: string | null;
}

/**
 * A run moved to another definition of its workflow (`spine.migrateRuns`, or a run continued on a
 * changed definition): its version, hash and step count, and its step rows renamed.
 */
export interface RunMove {
  /** Only while the run is still on this definition. */
  readonly fromHash: string;
  readonly to: { readonly version: number; readonly hash: string; readonly totalSteps: number };
  /** Old step name → new step name: the run's step rows and map items of the old name become the new one's. */
  readonly renames: Readonly<Record<string, string>>;
  /**
   * The claim it is made under (a process continuing the run it claimed). Null: made only while
   * no live lease holds the run, and the run's epoch goes up, fencing off any stale execution.
   */
  readonly fence: Fence | null;
}

/** One fire of a schedule to record (see `RunStore.fireSchedule`). */
export interface ScheduleFireWrite {
  readonly schedule: string;
  readonly workflow: string;
  readonly fireTime: Date;
  readonly source: TriggerSource;
  /** The queued run to create with the fire (null when the fire could not make one: `error` says why). */
  readonly run: NewRun | null;
  readonly error: string | null;
  /**
   * A scheduler's fire: made only while the schedule is not paused and its cursor is before the
   * fire time, and it moves the cursor to the fire time. A manual or backfill fire ignores both.
   */
  readonly scheduled: boolean;
}

/** What `fireSchedule` did. */
export type FireOutcome =
  | { readonly fired: true; readonly runId: string | null }
  /** 'paused' / 'handled' (cursor past it): a scheduler's fire not made; 'exists': the fire time was fired before (its run). */
  | { readonly fired: false; readonly reason: 'paused' | 'handled' | 'exists'; readonly runId: string | null };

/** A recorded fire of a schedule, with its run's status now. */
export interface FireRecord {
  readonly schedule: string;
  readonly fireTime: Date;
  readonly runId: string | null;
  readonly source: TriggerSource;
  readonly error: string | null;
  readonly firedAt: Date;
  /** Null when the fire has no run (an error) or its run was purged. */
  readonly runStatus: RunStatus | null;
}

/** A lease to take: who, and until when. */
export interface Lease {
  readonly owner: string;
  readonly expiresAt: Date;
}

/** Who holds a run now, as a store reports it when it refuses a stale writer. */
export interface LeaseHolder {
  readonly owner: string | null;
  readonly epoch: number;
  readonly status: RunStatus;
}

/**
 * What `claimRun` did: took the lease (`run.leaseEpoch` is the new claim's epoch), or found it
 * held by someone else.
 */
export type ClaimOutcome = { readonly claimed: true; readonly run: RunRecord } | { readonly claimed: false; readonly run: RunRecord | null };

/** What a renewal found: the lease still held (and extended), and whether someone asked to cancel. */
export interface RenewOutcome {
  readonly held: boolean;
  readonly cancelRequested: boolean;
  /** Who holds the run when it is no longer this fence (null when it is, or the run is gone). */
  readonly holder: LeaseHolder | null;
}

/** What `createRun` did: created the run, or found an earlier run with the same idempotency key. */
export type CreateRunOutcome = { readonly created: true } | { readonly created: false; readonly run: RunRecord };

/**
 * Port: where runs and their steps are recorded. The in-memory store is the default; durable
 * stores implement the same contract.
 *
 * Fencing: every claim of a run takes a new epoch; every write of an execution carries its
 * `Fence` and is refused with a `LeaseLostError` (writing nothing) once the fenced run's epoch
 * moved on — or, for a queue run, once its lease lapsed (its slot in the queue's limits may be
 * another run's). Map items' writes carry their top-level run's fence.
 */
