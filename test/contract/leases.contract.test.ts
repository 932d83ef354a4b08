import { LeaseLostError, type RunStore } from 'spine-orchestration';
import { FakeClock } from 'spine-orchestration/testing';
import { checkLeaseModel } from '../fixtures/lease-model';
import { newRun } from '../fixtures/records';
import { describeEachStore, uniqueId } from './support/contract-stores';
import { outcome } from './support/records';

/** RunLeases: claims take a new epoch, live leases are never taken, renewals report cancels, releases hand over at once. */
describeEachStore('contract: RunLeases', (backend) => {
  let clock: FakeClock;
  let store: RunStore;
  beforeEach(() => {
    clock = new FakeClock({ start: Date.parse('2026-06-01T00:00:00Z'), autoAdvance: false });
    store = backend.make({ clock });
  });
  const at = (ms = 0) => new Date(clock.now() + ms);

  it('behaves as the model for random sequences of claims, renewals, stale and current writes, releases, cancels and finishes (property-based)', async () => {
    await checkLeaseModel(() => backend.make(), backend.propertyRuns(300));
  }, 120_000);

  it('claims an expired lease with the next epoch, never a live one (not even by its owner), and never a finished run', async () => {
    const runId = uniqueId('lease');
    await store.createRun(newRun({ runId, leaseOwner: 'A', leaseExpiresAt: at(1_000) }));
    expect(await store.claimRun(runId, { owner: 'B', expiresAt: at(60_000) }, at())).toMatchObject({ claimed: false, run: { leaseOwner: 'A', leaseEpoch: 1 } });
    expect((await store.claimRun(runId, { owner: 'A', expiresAt: at(60_000) }, at())).claimed).toBe(false);
    clock.advance(1_001);
    expect(await store.claimRun(runId, { owner: 'B', expiresAt: at(60_000) }, at())).toMatchObject({ claimed: true, run: { leaseOwner: 'B', leaseEpoch: 2 } });
    await store.finishRun(runId, outcome({ runId, epoch: 2, owner: 'B' }, 'completed', at()));
    clock.advance(120_000);
    expect((await store.claimRun(runId, { owner: 'C', expiresAt: at(60_000) }, at())).claimed).toBe(false);
    expect(await store.claimRun(uniqueId('unknown'), { owner: 'C', expiresAt: at(60_000) }, at())).toEqual({ claimed: false, run: null });
  });

  it('renews only the current claim and reports a cancel request with it; a stale fence learns who holds the run', async () => {
    const runId = uniqueId('renew');
    await store.createRun(newRun({ runId, leaseOwner: 'A', leaseExpiresAt: at(1_000) }));
    const fence = { runId, epoch: 1, owner: 'A' };
    expect(await store.renewLease(runId, fence, at(5_000))).toEqual({ held: true, cancelRequested: false, holder: null });
    await store.requestCancel(runId);
    expect(await store.renewLease(runId, fence, at(6_000))).toMatchObject({ held: true, cancelRequested: true });
    clock.advance(10_000);
    await store.claimRun(runId, { owner: 'B', expiresAt: at(60_000) }, at());
    expect(await store.renewLease(runId, fence, at(70_000))).toMatchObject({ held: false, holder: { owner: 'B', epoch: 2 } });
    await expect(store.finishRun(runId, outcome(fence, 'completed', at()))).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('releases a lease so another process claims the run at once; lists expired top-level runs oldest expiry first', async () => {
    const [first, second] = [uniqueId('expired-a'), uniqueId('expired-b')];
    await store.createRun(newRun({ runId: second, leaseOwner: 'A', leaseExpiresAt: at(2_000) }));
    await store.createRun(newRun({ runId: first, leaseOwner: 'A', leaseExpiresAt: at(1_000) }));
    clock.advance(5_000);
    const expired = (await store.listExpiredRuns(at(), 1_000)).map((r) => r.runId).filter((id) => id === first || id === second);
    expect(expired).toEqual([first, second]);
    const held = uniqueId('released');
    await store.createRun(newRun({ runId: held, leaseOwner: 'A', leaseExpiresAt: at(60_000) }));
    await store.releaseLease(held, { runId: held, epoch: 1, owner: 'A' });
    expect(await store.claimRun(held, { owner: 'B', expiresAt: at(60_000) }, at())).toMatchObject({ claimed: true, run: { leaseEpoch: 2 } });
  });

  it('sets a cancel request on an unfinished run only, and returns null for an unknown one', async () => {
    const runId = uniqueId('cancel');
    await store.createRun(newRun({ runId, leaseOwner: 'A', leaseExpiresAt: at(1_000) }));
    expect((await store.requestCancel(runId))?.cancelRequested).toBe(true);
    const done = uniqueId('done');
    await store.createRun(newRun({ runId: done, leaseOwner: 'A', leaseExpiresAt: at(1_000) }));
    await store.finishRun(done, outcome({ runId: done, epoch: 1, owner: 'A' }, 'completed', at()));
    expect((await store.requestCancel(done))?.cancelRequested).toBe(false);
    expect(await store.requestCancel(uniqueId('nobody'))).toBeNull();
  });
});
