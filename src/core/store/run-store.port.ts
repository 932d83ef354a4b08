import type { RunEvent } from '../runner/run-event';
import type { WorkflowSpec } from '../definition/workflow-spec';
import type {
  CheckpointRecord,
  CheckpointSnapshot,
  Fenced,
  RunCounters,
  MapItemRecord,
  Fence,
  LostExecutions,
  PurgeCriteria,
  QualityPoint,
  RunFilter,
  RunOutcome,
  RunProgress,
  RunRecord,
  RunStatus,
  StepCommit,
  StepRecord, StoredDefinition,
  RunCount,
  QualityStepSummary,
  StoredRunEvent } from './run-record';
import type { ChildRunSummary, ClaimedRun, EnqueueSpec, QueueClaimRequest, QueueStats, WorkerRecord } from './run-queue';
import type { RunTrigger, TriggerSource } from '../schedule/trigger';
import type { ScheduleState } from '../schedule/schedule';
import type { SignalRecord } from './signal';

/**
 * What a new run is created with. A top-level run with a lease (`leaseOwner` set) is created
 * claimed, at epoch 1. A map item's run names its top-level run (`rootRunId`) and is created
 * under that run's fence: a stale parent cannot create items.
 */
export interface NewRun
  extends Pick<
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
export type ClaimOutcome =
  | { readonly claimed: true; readonly run: RunRecord }
  | { readonly claimed: false; readonly run: RunRecord | null };

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
export interface RunStore {
  /** True when records outlive the process (a database): map items are then recorded (one row each, or runs of their own for a multi-step iterator). */
  readonly durable?: boolean;
  /** Creates the run; when its idempotency key was used before, creates nothing and returns that run. */
  createRun(run: NewRun): Promise<CreateRunOutcome>;
  /**
   * Records one step execution under `progress.fence` — with the run's counters when
   * `progress.countersDue` (a store may write them every time) and the context snapshot when
   * `progress.snapshot` is set, atomically. May complete synchronously (the hot path skips a
   * promise then). `progress` is only valid during the call: copy what you keep. Reports a pending
   * cancellation request of the fenced run (read in the same statement); a stale fence writes
   * nothing and throws `LeaseLostError`.
   */
  recordStep(step: StepRecord, progress: RunProgress): StepCommit | Promise<StepCommit>;
  /**
   * Optional: writes a running run's counters (and cursor) under `progress.fence` (ignored when
   * stale): the counters a step commit held back (see `RunProgress.countersDue`) follow within
   * ~250 ms, so a run busy in a long step shows where it is.
   */
  recordProgress?(runId: string, progress: RunCounters & Fenced): Promise<void>;
  /**
   * Optional: why a step's output or context updates cannot be stored (null when they can).
   * Stores that serialise implement it, so such a step fails cleanly (category VALIDATION) and
   * the run stays resumable, instead of the write failing.
   */
  checkStorable?(step: string, output: unknown, contextUpdates: unknown): string | null;
  /**
   * Claims a top-level run for `lease.owner` with a new epoch when nobody holds it or its lease
   * expired before `now`. A run that completed or was cancelled is never claimed; a live lease is
   * never taken, not even by its own owner (one execution per run).
   */
  claimRun(runId: string, lease: Lease, now: Date): Promise<ClaimOutcome>;
  /**
   * Extends the lease of the claim `fence` made, until `expiresAt`, and reports a cancellation
   * request. A queue run's lease that already expired is not extended (not held): the slot it held
   * in its queue's limits may have gone to another run, so the run goes back to the workers.
   */
  renewLease(runId: string, fence: Fence, expiresAt: Date): Promise<RenewOutcome>;
  /**
   * Optional: gives up a held lease without finishing the run (graceful shutdown): the run stays
   * running, unowned, its lease expired, so any process may claim it at once. A no-op for a stale fence.
   */
  releaseLease?(runId: string, fence: Fence): Promise<void>;
  /**
   * Asks the run's owner to cancel it at the next step boundary and returns the run (null when
   * unknown). A run that completed or was cancelled is returned unchanged: nothing is set.
   */
  requestCancel(runId: string): Promise<RunRecord | null>;
  /** Top-level runs still running or waiting whose lease expired before `now`, oldest expiry first; not queue runs (workers claim those). */
  listExpiredRuns(now: Date, limit: number): Promise<RunRecord[]>;
  /**
   * Marks a claimed run (or a map item being resumed) as running again, with the params it
   * resumes with and how often its execution was lost in a row; under `fence`.
   */
  reopenRun(runId: string, params: Readonly<Record<string, unknown>>, fence: Fence | null, lost: LostExecutions): Promise<void>;
  /**
   * Optional: notes on a running run why its execution stopped without finishing (the store
   * refused a write), under `fence`; best effort. A run that keeps being lost names that cause.
   */
  recordInterruption?(runId: string, fence: Fence | null, step: string | null, error: string): Promise<void>;
  /** Records how the run ended and releases its lease, under `outcome.fence` (`LeaseLostError` when stale). */
  finishRun(runId: string, outcome: RunOutcome, events?: readonly RunEvent[]): Promise<void>;
  getRun(runId: string): Promise<RunRecord | null>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /** Every recorded step execution of a run, in the order they were recorded. */
  getRunSteps(runId: string): Promise<StepRecord[]>;
  /** Optional: keeps a run's events under `fence` (a durable store writes them to its events table). Called in batches. */
  recordEvents?(events: readonly RunEvent[], fence: Fence | null): Promise<void> | void;
  /** Optional: keeps a workflow definition (its JSON spec and hash) once per name and hash. */
  saveDefinition?(spec: WorkflowSpec, hash: string): Promise<void>;
  /**
   * Optional: keeps a declarative definition (kind 'declarative'): a new (name, hash) is inserted
   * active, the same one again is re-activated; every other stored version of the name is made
   * inactive. Returns whether a row was inserted.
   */
  saveStoredDefinition?(definition: Omit<StoredDefinition, 'isActive' | 'createdAt' | 'updatedAt'>, now: Date): Promise<{ readonly created: boolean }>;
  /** Optional: the active declarative definitions (one per name), by name. */
  listStoredDefinitions?(): Promise<StoredDefinition[]>;
  /** The run's checkpoints (one per completed step: its step row), in order. */
  listCheckpoints(runId: string): Promise<CheckpointRecord[]>;
  /**
   * Optional: the checkpoint of the latest completed execution of `step` in the run, with the
   * run's context right after it (a kept snapshot, else rebuilt from the step rows up to it);
   * null when the step never completed in the run.
   */
  getCheckpoint?(runId: string, step: string): Promise<CheckpointSnapshot | null>;
  /** Optional: deletes the context snapshots kept for a run (not its step rows); returns how many went. */
  deleteCheckpoints?(runId: string): Promise<number>;
  /**
   * Optional (durable stores): records a map item's outcome as one row under `fence` (its
   * top-level run's claim); an item recorded before (it failed, and ran again) is replaced.
   * Items finishing in the same tick may share a transaction; a stale fence throws `LeaseLostError`.
   */
  recordMapItem?(item: MapItemRecord, fence: Fence | null): Promise<void>;
  /** Optional: the recorded items of a run's maps run in place — of one step's execution when `step` and `iteration` are given — by step, iteration and index. */
  listMapItems?(runId: string, step?: string, iteration?: number): Promise<MapItemRecord[]>;
  /** Quality metrics a workflow's step recorded in runs started since `since`, oldest first (completed and failed executions). */
  qualityTrend(workflow: string, step: string, since: Date): Promise<QualityPoint[]>;
  /** Optional (a console's workflow page): top-level runs started since `since`, counted by workflow and status. */
  countRuns?(since: Date): Promise<RunCount[]>;
  /** Optional (a console's quality page): the workflow steps that recorded quality metrics in runs started since `since`. */
  listQualitySteps?(since: Date): Promise<QualityStepSummary[]>;
  /** Optional (durable stores): the run's stored events, oldest first, at most `limit`. */
  listRunEvents?(runId: string, limit: number): Promise<StoredRunEvent[]>;
  /** Deletes finished top-level runs per the criteria, each with its map items' runs; returns how many top-level runs went. */
  purge(criteria: PurgeCriteria): Promise<number>;

  // ── the run queue (optional: a store without it runs every run where it was started) ──

  /**
   * Claims up to `request.max` runs of the request's queues in one transaction: runs queued and
   * due, parked ('waiting') whose wake-up time came, or running with an expired lease — in
   * priority order (lower first), oldest first within a priority — within each queue's limits
   * (live leases of the queue, live leases per concurrency key, starts in the rate window), each
   * with a new epoch and a lease until `request.leaseExpiresAt`. A run that leaves the queue
   * becomes 'running' with its start time set to now.
   */
  claimQueued?(request: QueueClaimRequest): Promise<ClaimedRun[]>;
  /**
   * Creates queued runs (a distributed map's items) under `fence` in as few transactions as the
   * store can, skipping run ids that exist already; returns how many were created.
   */
  enqueueRuns?(runs: readonly NewRun[], fence: Fence | null): Promise<number>;
  /**
   * Parks a claimed run under `fence`: status 'waiting', its lease released until `wakeAt`, when
   * any worker may claim it again (a durable wait, a distributed map waiting for its items).
   */
  parkRun?(runId: string, fence: Fence, wakeAt: Date, waitingFor: string | null): Promise<void>;
  /**
   * After a distributed map's item finished: wakes its parked parent now (lease expiry set to
   * `now`) when no item of it is left unsettled, or when this item failed (the parent checks its
   * tolerance). Serialised on the parent's row, so the last of several items finishing at once
   * always sees the others finished.
   */
  settleChild?(parentRunId: string, failed: boolean, now: Date): Promise<void>;
  /**
   * Puts finished item runs that failed, were cancelled or stopped back on their queue (due now,
   * cancel request cleared, with the params given) under `fence`: a re-run distributed map
   * resumes them at their failed step.
   */
  requeueRuns?(runs: readonly { readonly runId: string; readonly params: Readonly<Record<string, unknown>> }[], fence: Fence | null, now: Date): Promise<void>;
  /** The item runs of a parent run (a distributed map's), in run id order. */
  listChildren?(parentRunId: string): Promise<ChildRunSummary[]>;
  /**
   * Cancels every unfinished item run of a parent: one nobody holds (queued, or parked) is marked
   * cancelled at once; one a worker executes is asked to (it stops at its next step commit or
   * heartbeat). Returns how many were cancelled or asked.
   */
  cancelChildren?(parentRunId: string): Promise<number>;
  /** Per queue: queued, due, running, waiting, oldest queued, and per concurrency key. */
  queueStats?(now: Date): Promise<QueueStats[]>;
  /**
   * Registers a worker process (or renews its row): its queues, capacity, how many runs it
   * executes, and its heartbeat. Rows silent for 10 minutes (a worker killed without its graceful
   * end) are removed then.
   */
  saveWorker?(worker: WorkerRecord): Promise<void>;
  /** Removes a worker's row (its graceful end). */
  removeWorker?(workerId: string): Promise<void>;
  /** Registered workers, most recent heartbeat first. */
  listWorkers?(): Promise<WorkerRecord[]>;

  // ── schedules (optional: a store without them runs no schedules) ──

  /**
   * Optional: the database's own clock (a shared store: every process reads the same time). The
   * schedulers decide what is due by it, so a process whose clock runs fast fires nothing early
   * and skips nothing, and one whose clock runs slow delays nothing.
   */
  databaseTime?(): Promise<Date>;

  /**
   * Registers schedules declared in code that the store does not know yet (paused as declared,
   * cursor `now`: a new schedule does not fire its past) and returns the state of each name given.
   */
  saveSchedules?(schedules: readonly { readonly name: string; readonly workflow: string; readonly paused: boolean }[], now: Date): Promise<ScheduleState[]>;
  /** Every schedule the store knows, by name. */
  listScheduleStates?(): Promise<ScheduleState[]>;
  /**
   * Pauses or resumes a schedule (null when the store does not know it). Resuming moves its cursor
   * to `now`: fires that fell while it was paused are not caught up (a backfill fires them).
   */
  setSchedulePaused?(name: string, paused: boolean, now: Date): Promise<ScheduleState | null>;
  /**
   * Records a fire keyed by (schedule, fire time) and creates its queued run, in one transaction:
   * a fire time already recorded creates nothing (`exists`), so processes firing the same time
   * fire it once. See `ScheduleFireWrite.scheduled` for a scheduler's fire.
   */
  fireSchedule?(fire: ScheduleFireWrite): Promise<FireOutcome>;
  /** Moves a schedule's cursor forward to `to` (fires skipped by its catch-up policy or its calendar); never back. */
  moveScheduleCursor?(name: string, to: Date): Promise<void>;
  /** The fires of a schedule with fire times in [from, to], oldest first, each with its run's status. */
  listFires?(schedule: string, from: Date, to: Date): Promise<FireRecord[]>;
  /** The newest fire of each schedule named. */
  latestFires?(schedules: readonly string[]): Promise<FireRecord[]>;

  // ── signals (optional: a store without them cannot deliver signals) ──

  /**
   * Keeps a signal for a run that is not completed or cancelled (a failed or stopped run keeps it
   * for its resume), in one transaction with the run's row: a run parked waiting for this signal
   * (`waitingFor`, no owner) and not due yet is made due now, so a worker wakes it — once however
   * many signals come before it is claimed; a run parked for anything else is not woken. A
   * `dedupeId` the run has seen before stores nothing and returns that earlier signal. Throws `SpineError` 'unknown-run' / 'run-finished' naming
   * the run otherwise.
   */
  sendSignal?(runId: string, name: string, payload: unknown, now: Date, dedupeId: string | null): Promise<SignalRecord>;
  /** The signals sent to a run, oldest first. */
  listSignals?(runId: string): Promise<SignalRecord[]>;
  /**
   * Consumes the oldest signal `name` of the run not consumed yet, for the step execution
   * `consumer`, under `fence`; the one that execution consumed already if it did (a re-run of the
   * same step execution gets the same signal: each signal is consumed by one execution only).
   * Null when there is none.
   */
  consumeSignal?(runId: string, name: string, consumer: string, fence: Fence | null, now: Date): Promise<SignalRecord | null>;
  /** Makes a parked run (waiting, no owner) due now (a signal came while it parked). */
  wakeRun?(runId: string, now: Date): Promise<void>;
}
