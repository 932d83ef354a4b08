import { LeaseLostError } from 'spine-orchestration';
import { checkLeaseModel } from '../fixtures/lease-model';
import { newRun } from '../fixtures/records';
import { describeEachStore, freshStorePerTest, uniqueId } from './support/contract-stores';
import { outcome } from './support/records';

/** RunLeases: claims take a new epoch, live leases are never taken, renewals report cancels, releases hand over at once. */
describeEachStore('contract: RunLeases', (backend) => {
  const t = freshStorePerTest(backend);
  const at = t.at;

  it('behaves as the model for random sequences of claims, renewals, stale and current writes, releases, cancels and finishes (property-based)', async () => {
    await checkLeaseModel(() => backend.make(), backend.propertyRuns(300));
  }, 120_000);

  it('claims an expired lease with the next epoch, never a live one (not even by its owner), and never a finished run', async () => {
    const runId = uniqueId('lease');
    await t.store.createRun(newRun({ runId, leaseOwner: 'A', leaseExpiresAt: at(1_000) }));
    expect(await t.store.claimRun(runId, { owner: 'B', expiresAt: at(60_000) }, at())).toMatchObject({ claimed: false, run: { leaseOwner: 'A', leaseEpoch: 1 } });
    expect((await t.store.claimRun(runId, { owner: 'A', expiresAt: at(60_000) }, at())).claimed).toBe(false);
    t.clock.advance(1_001);
    expect(await t.store.claimRun(runId, { owner: 'B', expiresAt: at(60_000) }, at())).toMatchObject({ claimed: true, run: { leaseOwner: 'B', leaseEpoch: 2 } });
    await t.store.finishRun(runId, outcome({ runId, epoch: 2, owner: 'B' }, 'completed', at()));
    t.clock.advance(120_000);
    expect((await t.store.claimRun(runId, { owner: 'C', expiresAt: at(60_000) }, at())).claimed).toBe(false);
    expect(await t.store.claimRun(uniqueId('unknown'), { owner: 'C', expiresAt: at(60_000) }, at())).toEqual({ claimed: false, run: null });
  });

  it('renews only the current claim and reports a cancel request with it; a stale fence learns who holds the run', async () => {
    const runId = uniqueId('renew');
    await t.store.createRun(newRun({ runId, leaseOwner: 'A', leaseExpiresAt: at(1_000) }));
    const fence = { runId, epoch: 1, owner: 'A' };
    expect(await t.store.renewLease(runId, fence, at(5_000))).toEqual({ held: true, cancelRequested: false, holder: null });
    await t.store.requestCancel(runId);
    expect(await t.store.renewLease(runId, fence, at(6_000))).toMatchObject({ held: true, cancelRequested: true });
    t.clock.advance(10_000);
    await t.store.claimRun(runId, { owner: 'B', expiresAt: at(60_000) }, at());
    expect(await t.store.renewLease(runId, fence, at(70_000))).toMatchObject({ held: false, holder: { owner: 'B', epoch: 2 } });
    await expect(t.store.finishRun(runId, outcome(fence, 'completed', at()))).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('releases a lease so another process claims the run at once; lists expired top-level runs oldest expiry first', async () => {
    const [first, second] = [uniqueId('expired-a'), uniqueId('expired-b')];
    await t.store.createRun(newRun({ runId: second, leaseOwner: 'A', leaseExpiresAt: at(2_000) }));
    await t.store.createRun(newRun({ runId: first, leaseOwner: 'A', leaseExpiresAt: at(1_000) }));
    t.clock.advance(5_000);
    const expired = (await t.store.listExpiredRuns(at(), 1_000, { hashes: ['h'.repeat(64)], anyOf: [] })).map((r) => r.runId).filter((id) => id === first || id === second);
    expect(expired).toEqual([first, second]);
    const held = uniqueId('released');
    await t.store.createRun(newRun({ runId: held, leaseOwner: 'A', leaseExpiresAt: at(60_000) }));
    await t.store.releaseLease(held, { runId: held, epoch: 1, owner: 'A' });
    expect(await t.store.claimRun(held, { owner: 'B', expiresAt: at(60_000) }, at())).toMatchObject({ claimed: true, run: { leaseEpoch: 2 } });
  });

  it('sets a cancel request on an unfinished run only, and returns null for an unknown one', async () => {
    const runId = uniqueId('cancel');
    await t.store.createRun(newRun({ runId, leaseOwner: 'A', leaseExpiresAt: at(1_000) }));
    expect((await t.store.requestCancel(runId))?.cancelRequested).toBe(true);
    const done = uniqueId('done');
    await t.store.createRun(newRun({ runId: done, leaseOwner: 'A', leaseExpiresAt: at(1_000) }));
    await t.store.finishRun(done, outcome({ runId: done, epoch: 1, owner: 'A' }, 'completed', at()));
    expect((await t.store.requestCancel(done))?.cancelRequested).toBe(false);
    expect(await t.store.requestCancel(uniqueId('nobody'))).toBeNull();
  });
});
