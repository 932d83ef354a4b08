import { LeaseLostError, type RenewOutcome } from 'spine-orchestration';
import { FakeClock } from 'spine-orchestration/testing';
import { LeaseGuard } from '../../../../src/core/runner/lease-guard';
import type { RunLeases } from '../../../../src/core/store/ports/run-leases.port';

const fence = { runId: 'r1', owner: 'A', epoch: 1 };
const settings = { owner: 'A', durationMs: 500, heartbeatMs: 100 };

/** A store whose renewals are answered by the test, in order. */
function manualLeases() {
  const pending: { sentAt: number; answer: (o: RenewOutcome) => void }[] = [];
  let clock: FakeClock;
  const leases = {
    renewLease: () => new Promise<RenewOutcome>((answer) => pending.push({ sentAt: clock.now(), answer })),
  } as unknown as RunLeases;
  return { leases, pending, useClock: (c: FakeClock) => (clock = c) };
}

const held: RenewOutcome = { held: true, cancelRequested: false, holder: null };
const lostTo2: RenewOutcome = { held: false, cancelRequested: false, holder: { owner: 'B', epoch: 2, status: 'running' } };

describe('LeaseGuard', () => {
  it('answers at once while its own clock says the lease is surely held', () => {
    const clock = new FakeClock({ autoAdvance: false });
    const { leases, pending, useClock } = manualLeases();
    useClock(clock);
    const guard = new LeaseGuard(fence, leases, clock, settings, { lost: () => undefined, cancelRequested: () => undefined }, clock.now());
    clock.advance(399);
    expect(guard.ensureHeld()).toBeUndefined();
    expect(pending).toHaveLength(0);
  });

  it('does not trust a renewal sent before a pause: one that was in flight across it is followed by a fresh one, which finds the run claimed by another execution', async () => {
    const clock = new FakeClock({ autoAdvance: false });
    const { leases, pending, useClock } = manualLeases();
    useClock(clock);
    const lost: LeaseLostError[] = [];
    const guard = new LeaseGuard(fence, leases, clock, settings, { lost: (e) => lost.push(e), cancelRequested: () => undefined }, clock.now());
    guard.start();
    const start = clock.now();
    clock.advance(100); // the heartbeat sends a renewal…
    expect(pending).toHaveLength(1);
    clock.advance(1_800); // …and the process is paused (SIGSTOP) before its answer is read; meanwhile B claims the run
    const check = guard.ensureHeld();
    expect(check).toBeInstanceOf(Promise);
    pending[0]!.answer(held); // applied before the pause: it vouches for the lease until 100 + 500 only
    await until(() => pending.length === 2);
    expect(pending[1]!.sentAt).toBe(start + 1_900);
    pending[1]!.answer(lostTo2);
    await expect(check).rejects.toBeInstanceOf(LeaseLostError);
    expect(lost).toHaveLength(1);
    guard.stop();
  });

  it('goes on after a pause when the fresh renewal finds the run still its own', async () => {
    const clock = new FakeClock({ autoAdvance: false });
    const { leases, pending, useClock } = manualLeases();
    useClock(clock);
    const guard = new LeaseGuard(fence, leases, clock, settings, { lost: () => undefined, cancelRequested: () => undefined }, clock.now());
    clock.advance(2_000);
    const check = guard.ensureHeld();
    await until(() => pending.length === 1);
    pending[0]!.answer(held);
    await expect(check).resolves.toBeUndefined();
    expect(pending).toHaveLength(1);
    expect(guard.ensureHeld()).toBeUndefined();
  });
});

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await Promise.resolve();
  if (!done()) throw new Error('the condition never held');
}
