import { holds, type HeldDefinitions } from '../records/held-definitions';
import { FINAL_STATUSES, type Fence, type RunRecord } from '../records/run-record';
import type { ClaimOutcome, Lease, RenewOutcome } from '../records/store-writes';
import type { RunLeases } from '../ports/run-leases.port';
import { holderOf, RELEASED_LEASE, snapshot, type MemoryRuns } from './memory-runs';

/** The in-memory store's leases: claims with a new epoch, renewals that report cancels, releases. */
export class InMemoryLeases implements RunLeases {
  constructor(private readonly state: MemoryRuns) {}

  async claimRun(runId: string, lease: Lease, now: Date): Promise<ClaimOutcome> {
    const stored = this.state.runs.get(runId);
    if (stored === undefined) return { claimed: false, run: null };
    const { record } = stored;
    const free = record.leaseOwner === null || (record.leaseExpiresAt !== null && record.leaseExpiresAt < now);
    if (!free || record.parentRunId !== null || FINAL_STATUSES.includes(record.status)) return { claimed: false, run: snapshot(stored) };
    record.leaseOwner = lease.owner;
    record.leaseExpiresAt = lease.expiresAt;
    record.leaseEpoch++;
    return { claimed: true, run: snapshot(stored) };
  }

  async renewLease(runId: string, fence: Fence, expiresAt: Date): Promise<RenewOutcome> {
    const record = this.state.runs.get(runId)?.record;
    if (record === undefined) return { held: false, cancelRequested: false, holder: null };
    // a queue run's lease that ran out is not taken back: its queue slot may be another run's by now
    const expired = record.queue !== null && record.leaseExpiresAt !== null && record.leaseExpiresAt.getTime() <= this.state.clock.now();
    if (record.leaseEpoch !== fence.epoch || record.leaseOwner === null || expired) return { held: false, cancelRequested: record.cancelRequested, holder: holderOf(record) };
    record.leaseExpiresAt = expiresAt;
    return { held: true, cancelRequested: record.cancelRequested, holder: null };
  }

  async releaseLease(runId: string, fence: Fence): Promise<void> {
    const record = this.state.runs.get(runId)?.record;
    if (record === undefined || record.leaseEpoch !== fence.epoch) return;
    record.leaseOwner = null;
    record.leaseExpiresAt = RELEASED_LEASE;
  }

  async requestCancel(runId: string): Promise<RunRecord | null> {
    const stored = this.state.runs.get(runId);
    if (stored === undefined) return null;
    if (!FINAL_STATUSES.includes(stored.record.status)) stored.record.cancelRequested = true;
    return snapshot(stored);
  }

  async listExpiredRuns(now: Date, limit: number, held: HeldDefinitions): Promise<RunRecord[]> {
    return [...this.state.runs.values()]
      .filter(
        ({ record }) =>
          record.parentRunId === null &&
          record.queue === null &&
          (record.status === 'running' || record.status === 'waiting') &&
          record.leaseExpiresAt !== null &&
          record.leaseExpiresAt < now &&
          holds(held, record),
      )
      .sort((a, b) => a.record.leaseExpiresAt!.getTime() - b.record.leaseExpiresAt!.getTime())
      .slice(0, limit)
      .map(snapshot);
  }
}
