import { InMemoryRunStore, LeaseLostError, SpineError, Step, Workflow, WorkflowRunner, workflowHash, type WorkflowDefinition } from 'spine-orchestration';
import { FakeClock } from 'spine-orchestration/testing';
import { newRun } from '../../../fixtures/records';
import { gate, pausableStore } from '../../../fixtures/stores';
import { sleep, until } from '../../../support/polling';

const lookup = (wf: WorkflowDefinition) => ({ get: (n: string) => (n === wf.name ? wf : undefined), names: () => [wf.name] });

/** first → slow (waits for the gate, watching its signal) → last; records who ran what. */
function gatedWorkflow() {
  const slow = gate();
  const calls: string[] = [];
  const signals: AbortSignal[] = [];
  const wf = Workflow.define({
    name: 'fenced',
    steps: [
      Step.lambda('first', (_ctx, _c, step) => void calls.push(`first@${step.epoch}`)),
      Step.lambda('slow', async (_ctx, _c, step) => {
        calls.push(`slow@${step.epoch}`);
        signals.push(step.signal);
        await slow.wait();
        return { done: true };
      }),
      Step.lambda('last', (_ctx, _c, step) => void calls.push(`last@${step.epoch}`)),
    ],
  });
  const slowStarted = () => until(async () => signals.length > 0);
  return { wf, calls, signals, open: slow.open, slowStarted };
}

describe('fencing epochs', () => {
  describe('a claim of a run', () => {
    it('takes a new epoch each time: 1 at start, 2 when another process takes the run over, handed to steps as their fencing token', async () => {
      const clock = new FakeClock({ autoAdvance: false });
      const store = new InMemoryRunStore({ clock });
      const { wf, calls, open, slowStarted } = gatedWorkflow();
      const a = new WorkflowRunner({ store, clock, lease: { owner: 'A', durationMs: 60, heartbeatMs: 60_000 }, workflows: lookup(wf) });
      const b = new WorkflowRunner({ store, clock, lease: { owner: 'B', durationMs: 60_000 }, workflows: lookup(wf) });
      const stale = a.execute(wf).then(
        () => null,
        (e: unknown) => e,
      );
      await slowStarted();
      const [run] = await store.listRuns();
      expect(run).toMatchObject({ leaseOwner: 'A', leaseEpoch: 1 });
      clock.advance(80); // A's lease ran out (it renews every minute)
      const taken = b.resume(run!.runId);
      await until(async () => (await store.getRun(run!.runId))?.leaseOwner === 'B');
      expect(await store.getRun(run!.runId)).toMatchObject({ leaseOwner: 'B', leaseEpoch: 2 });
      open();
      expect((await taken).status).toBe('completed');
      const error = await stale;
      expect(error).toBeInstanceOf(LeaseLostError);
      expect((error as LeaseLostError).holder).toMatchObject({ epoch: 2 });
      expect(calls).toEqual(['first@1', 'slow@1', 'slow@2', 'last@2']);
      expect((await store.getRunSteps(run!.runId)).filter((s) => s.status === 'completed').map((s) => s.stepName)).toEqual(['first', 'slow', 'last']);
    });
  });

  describe('a stale execution', () => {
    it('learns at its next renewal that the run was claimed meanwhile, aborts its running step and starts nothing more', async () => {
      const clock = new FakeClock({ autoAdvance: false });
      const inner = new InMemoryRunStore({ clock });
      const paused = pausableStore(inner);
      const { wf, calls, signals, open, slowStarted } = gatedWorkflow();
      const a = new WorkflowRunner({ store: paused, clock, lease: { owner: 'A', durationMs: 80, heartbeatMs: 20 }, workflows: lookup(wf) });
      const b = new WorkflowRunner({ store: inner, clock, lease: { owner: 'B', durationMs: 60_000 }, workflows: lookup(wf) });
      const stale = a.execute(wf).then(
        () => null,
        (e: unknown) => e,
      );
      await slowStarted();
      paused.pause(); // A stops renewing, as a paused process would
      clock.advance(120); // past A's lease: its heartbeats fire, and hang
      const [run] = await inner.listRuns();
      const taken = b.resume(run!.runId);
      await until(async () => (await inner.getRun(run!.runId))?.leaseOwner === 'B');
      const aborted = new Promise((resolve) => signals[0]!.addEventListener('abort', resolve));
      paused.resume(); // A's renewal goes through now and finds epoch 2: A's running step is aborted at once
      await aborted;
      open(); // the step ignored its signal; once it returns, A records nothing and starts nothing more
      const error = await stale;
      expect(error).toBeInstanceOf(LeaseLostError);
      expect(signals[0]!.reason).toBe(error);
      expect((error as Error).message).toMatch(
        /was claimed by another execution \(owner B\) at epoch 2 while this one \(epoch 1, owner A\) had not renewed its lease for \d\.\d s \(paused, starved or cut off from the database\); this execution stopped/,
      );
      expect((await taken).status).toBe('completed');
      expect(calls).toEqual(['first@1', 'slow@1', 'slow@2', 'last@2']);
    });

    it('renews before its next step once its own clock says the lease ran out, and stops when the run was claimed meanwhile', async () => {
      const inner = new InMemoryRunStore();
      const paused = pausableStore(inner);
      const clock = new FakeClock({ autoAdvance: false });
      const calls: string[] = [];
      const wf = Workflow.define({
        name: 'fenced.clock',
        steps: [
          Step.lambda('first', () => {
            calls.push('first');
            // the process sleeps past its lease between this step's commit and the next step
            clock.advance(10_000);
          }),
          Step.lambda('second', () => void calls.push('second')),
        ],
      });
      const a = new WorkflowRunner({ store: paused, clock, lease: { owner: 'A', durationMs: 1_000, heartbeatMs: 60_000 } });
      paused.beforeRenew = async () => {
        const [run] = await inner.listRuns();
        await inner.claimRun(run!.runId, { owner: 'B', expiresAt: new Date(clock.now() + 60_000) }, new Date(clock.now()));
      };
      await expect(a.execute(wf)).rejects.toThrow(/was claimed by another execution \(owner B\) at epoch 2 while this one \(epoch 1, owner A\)/);
      expect(calls).toEqual(['first']);
      expect(paused.renewals).toBe(1);
    });
  });

  describe('one execution per run per process', () => {
    it('refuses to resume or start again a run this runner is executing, and its recovery never takes it', async () => {
      const clock = new FakeClock({ autoAdvance: false });
      const inner = new InMemoryRunStore({ clock });
      const paused = pausableStore(inner);
      const { wf, calls, open, slowStarted } = gatedWorkflow();
      const runner = new WorkflowRunner({ store: paused, clock, lease: { owner: 'A', durationMs: 60, heartbeatMs: 20 }, workflows: lookup(wf) });
      const running = runner.execute(wf, { runId: 'only-once' });
      await slowStarted();
      await expect(runner.resume('only-once')).rejects.toThrow(/Run "only-once" of workflow "fenced" is already being executed by this process \(epoch 1\)/);
      await expect(runner.execute(wf, { runId: 'only-once' })).rejects.toMatchObject({ kind: 'run-in-progress' });
      paused.pause(); // heartbeats stall: the lease expires in the store while the run still executes here
      clock.advance(100);
      expect((await inner.listExpiredRuns(new Date(clock.now()), 10, { hashes: [], anyOf: ['fenced'] })).map((r) => r.runId)).toEqual(['only-once']);
      expect(await runner.recover()).toEqual([]);
      paused.resume();
      open();
      expect((await running).status).toBe('completed');
      expect(calls).toEqual(['first@1', 'slow@1', 'last@1']);
    });
  });
});

describe('cancellation', () => {
  it('in the same process: the running step is aborted at once and nothing more runs', async () => {
    const store = new InMemoryRunStore();
    const { wf, calls, signals, open, slowStarted } = gatedWorkflow();
    const runner = new WorkflowRunner({ store });
    const running = runner.execute(wf, { runId: 'cancel-here' });
    await slowStarted();
    const asked = await runner.cancel('cancel-here');
    expect(asked).toMatchObject({ status: 'running', cancelRequested: true });
    expect(signals[0]!.aborted).toBe(true);
    // the step ignores its signal and finishes when its gate opens; the run ends there
    expect(await Promise.race([running.then(() => 'ended'), sleep(50).then(() => 'waits for its step')])).toBe('waits for its step');
    open();
    expect(await running).toMatchObject({ status: 'cancelled', completedSteps: ['first', 'slow'] });
    expect(calls).toEqual(['first@1', 'slow@1']);
  });

  it('in the same process: a wait gives way at once and the run ends cancelled', async () => {
    const clock = new FakeClock({ autoAdvance: false });
    const runner = new WorkflowRunner({ clock });
    const wf = Workflow.define({ name: 'cancel.wait', steps: [Step.wait('cooldown', { seconds: 3600 }), Step.lambda('after', () => ({}))] });
    const running = runner.execute(wf, { runId: 'cancel-wait' });
    await until(async () => clock.sleepers > 0); // in its wait
    await runner.cancel('cancel-wait');
    const result = await running;
    expect(result).toMatchObject({ status: 'cancelled', completedSteps: [] });
    expect(await runner.store.journal.getRun('cancel-wait')).toMatchObject({ status: 'cancelled' });
  });

  it('from another process: observed at the owner’s next step commit, so at most the step in flight finishes', async () => {
    const store = new InMemoryRunStore();
    const started: string[] = [];
    const wf = Workflow.define({
      name: 'cancel.remote',
      steps: Array.from({ length: 20 }, (_, i) =>
        Step.lambda(`s${i}`, async () => {
          started.push(`s${i}`);
          await sleep(3);
        }),
      ),
    });
    const owner = new WorkflowRunner({ store, lease: { owner: 'owner', heartbeatMs: 60_000 } });
    const operator = new WorkflowRunner({ store, lease: { owner: 'operator' } });
    const running = owner.execute(wf, { runId: 'cancel-remote' });
    await sleep(15);
    await operator.cancel('cancel-remote');
    const atCancel = started.length;
    const result = await running;
    expect(result.status).toBe('cancelled');
    expect(started.length).toBeLessThanOrEqual(atCancel + 1);
    expect(started.length).toBeLessThan(20);
  });

  it('of a run whose owner died: marked cancelled at once, never resumed by recovery', async () => {
    const clock = new FakeClock({ autoAdvance: false });
    const store = new InMemoryRunStore({ clock });
    const { wf, open, slowStarted } = gatedWorkflow();
    const dead = new WorkflowRunner({ store, clock, lease: { owner: 'dead', durationMs: 30, heartbeatMs: 60_000 }, workflows: lookup(wf) });
    const zombie = dead.execute(wf, { runId: 'orphan' }).then(
      () => null,
      (e: unknown) => e,
    );
    await slowStarted();
    clock.advance(60); // its lease ran out: as far as anyone can tell, its owner died
    const other = new WorkflowRunner({ store, clock, lease: { owner: 'other' }, workflows: lookup(wf) });
    expect(await other.cancel('orphan')).toMatchObject({ status: 'cancelled', leaseOwner: null });
    expect(await other.recover()).toEqual([]);
    await expect(other.resume('orphan')).rejects.toThrow(/was cancelled; cancelled runs are final/);
    open();
    expect(await zombie).toBeInstanceOf(LeaseLostError); // the owner we took for dead comes back: fenced off
  });

  it('pending when a run is claimed: recovery marks it cancelled and runs no step', async () => {
    const clock = new FakeClock({ autoAdvance: false });
    const store = new InMemoryRunStore({ clock });
    const { wf, calls, open, slowStarted } = gatedWorkflow();
    const dead = new WorkflowRunner({ store, clock, lease: { owner: 'dead', durationMs: 30, heartbeatMs: 60_000 }, workflows: lookup(wf) });
    const zombie = dead.execute(wf, { runId: 'asked' }).then(
      () => null,
      (e: unknown) => e,
    );
    await slowStarted(); // the owner is inside "slow", past the step boundary where it would see the request itself
    await store.requestCancel('asked'); // asked while the owner still held the lease; then it died
    clock.advance(60);
    const recovered = await new WorkflowRunner({ store, clock, lease: { owner: 'other' }, workflows: lookup(wf) }).recover();
    expect(recovered).toEqual([expect.objectContaining({ runId: 'asked', status: 'cancelled' })]);
    open();
    expect(await zombie).toBeInstanceOf(LeaseLostError);
    expect(calls).toEqual(['first@1', 'slow@1']);
  });

  it('of a finished run: refused with its status, and nothing is set', async () => {
    const runner = new WorkflowRunner();
    const done = await runner.execute(Workflow.define({ name: 'done', steps: [Step.lambda('a', () => ({}))] }));
    const refused = await runner.cancel(done.runId).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(SpineError);
    expect(refused).toMatchObject({
      kind: 'run-finished',
      message: `Run "${done.runId}" of workflow "done" is already completed; only a run that has not finished can be cancelled. Nothing was changed.`,
    });
    expect(await runner.store.journal.getRun(done.runId)).toMatchObject({ status: 'completed', cancelRequested: false });
  });
});

describe('recovery', () => {
  it('recovers expired runs side by side: one in a long wait holds back no other', async () => {
    const store = new InMemoryRunStore();
    const clock = new FakeClock({ autoAdvance: false });
    const waits = Workflow.define({ name: 'recover.waits', steps: [Step.wait('publication', { seconds: 3_600 }), Step.lambda('after', () => ({}))] });
    const quick = Workflow.define({ name: 'recover.quick', steps: [Step.lambda('a', () => ({})), Step.lambda('b', () => ({}))] });
    const registry = { get: (n: string) => [waits, quick].find((w) => w.name === n), names: () => ['recover.waits', 'recover.quick'] };
    const dead = new WorkflowRunner({ store, clock, lease: { owner: 'dead', durationMs: 1_000, heartbeatMs: 60_000 }, workflows: registry });
    void dead.execute(waits, { runId: 'orphan-waiting' }).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    clock.advance(500);
    // a second orphan whose lease expired later: it comes second in the recovery order
    await store.createRun(newRun({ runId: 'orphan-quick', workflowName: 'recover.quick', workflowHash: workflowHash(quick), leaseOwner: 'dead', leaseExpiresAt: new Date(clock.now() + 1_000) }));
    const later = new FakeClock({ start: clock.now() + 60_000, autoAdvance: false });
    const survivor = new WorkflowRunner({ store, clock: later, lease: { owner: 'survivor' }, workflows: registry });
    const recovering = survivor.recover();
    for (let i = 0; i < 100 && (await store.getRun('orphan-quick'))?.status !== 'completed'; i++) await new Promise((r) => setImmediate(r));
    expect(await store.getRun('orphan-quick')).toMatchObject({ status: 'completed', leaseEpoch: 2 });
    expect(await store.getRun('orphan-waiting')).toMatchObject({ status: 'running', leaseOwner: 'survivor', leaseEpoch: 2 });
    later.advance(3_600_000);
    expect((await recovering).map((r) => `${r.runId}:${r.status}`).sort()).toEqual(['orphan-quick:completed', 'orphan-waiting:completed']);
  });
});
