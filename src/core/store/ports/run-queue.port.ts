import type { ChildRunSummary, ClaimedRun, QueueClaimRequest, QueueStats, WorkerRecord } from '../records/queue-record';
import type { Fence } from '../records/run-record';
import type { NewRun } from '../records/store-writes';

/** Port: runs executed by workers: claims within each queue's limits, enqueues, parked runs, a distributed map's item runs, statistics and the workers' rows. */
export interface RunQueue {
  /**
   * Claims up to `request.max` runs of the request's queues in one transaction: runs queued and
   * due, parked ('waiting') whose wake-up time came, or running with an expired lease — in
   * priority order (lower first), oldest first within a priority — within each queue's limits
   * (live leases of the queue, live leases per concurrency key, starts in the rate window), each
   * with a new epoch and a lease until `request.leaseExpiresAt`. A run that leaves the queue
   * becomes 'running' with its start time set to now.
   */
  claimQueued(request: QueueClaimRequest): Promise<ClaimedRun[]>;
  /**
   * Creates queued runs (a distributed map's items) under `fence` in as few transactions as the
   * store can, skipping run ids that exist already; returns how many were created.
   */
  enqueueRuns(runs: readonly NewRun[], fence: Fence | null): Promise<number>;
  /**
   * Parks a claimed run under `fence`: status 'waiting', its lease released until `wakeAt`, when
   * any worker may claim it again (a durable wait, a distributed map waiting for its items).
   */
  parkRun(runId: string, fence: Fence, wakeAt: Date, waitingFor: string | null): Promise<void>;
  /**
   * After a distributed map's item finished: wakes its parked parent now (lease expiry set to
   * `now`) when no item of it is left unsettled, or when this item failed (the parent checks its
   * tolerance). Serialised on the parent's row, so the last of several items finishing at once
   * always sees the others finished.
   */
  settleChild(parentRunId: string, failed: boolean, now: Date): Promise<void>;
  /**
   * Puts finished item runs that failed, were cancelled or stopped back on their queue (due now,
   * cancel request cleared, with the params given) under `fence`: a re-run distributed map
   * resumes them at their failed step. Returns how many were put back (a run that was not failed,
   * cancelled or stopped any more is left as it is).
   */
  requeueRuns(runs: readonly { readonly runId: string; readonly params: Readonly<Record<string, unknown>> }[], fence: Fence | null, now: Date): Promise<number>;
  /** The item runs of a parent run (a distributed map's), in run id order. */
  listChildren(parentRunId: string): Promise<ChildRunSummary[]>;
  /**
   * Cancels every unfinished item run of a parent: one nobody holds (queued, or parked) is marked
   * cancelled at once; one a worker executes is asked to (it stops at its next step commit or
   * heartbeat). Returns how many were cancelled or asked.
   */
  cancelChildren(parentRunId: string): Promise<number>;
  /** Per queue: queued, due, running, waiting, oldest queued, and per concurrency key. */
  queueStats(now: Date): Promise<QueueStats[]>;
  /**
   * Registers a worker process (or renews its row): its queues, capacity, how many runs it
   * executes, and its heartbeat. Rows silent for 10 minutes (a worker killed without its graceful
   * end) are removed then.
   */
  saveWorker(worker: WorkerRecord): Promise<void>;
  /** Removes a worker's row (its graceful end). */
  removeWorker(workerId: string): Promise<void>;
  /** Registered workers, most recent heartbeat first. */
  listWorkers(): Promise<WorkerRecord[]>;
}
