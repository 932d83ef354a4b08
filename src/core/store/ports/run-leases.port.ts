import type { HeldDefinitions } from '../records/held-definitions';
import type { Fence, RunRecord } from '../records/run-record';
import type { ClaimOutcome, Lease, RenewOutcome } from '../records/store-writes';

/** Port: who executes a run: every claim takes a new epoch (the fence of its writes) and a lease that its owner renews; cancel requests ride on the renewal. */
export interface RunLeases {
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
   * Gives up a held lease without finishing the run (graceful shutdown): the run stays
   * running, unowned, its lease expired, so any process may claim it at once. A no-op for a stale fence.
   */
  releaseLease(runId: string, fence: Fence): Promise<void>;
  /**
   * Asks the run's owner to cancel it at the next step boundary and returns the run (null when
   * unknown). A run that completed or was cancelled is returned unchanged: nothing is set.
   */
  requestCancel(runId: string): Promise<RunRecord | null>;
  /**
   * Top-level runs still running or waiting whose lease expired before `now`, started on a
   * definition `held` covers, oldest expiry first; not queue runs (workers claim those).
   */
  listExpiredRuns(now: Date, limit: number, held: HeldDefinitions): Promise<RunRecord[]>;
}
