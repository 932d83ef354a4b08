import { LeaseLostError, Step, Workflow, WorkflowRunner, type WorkflowDefinition } from 'spine-orchestration';
import { TypeOrmRunStore } from '../../../src/persistence';
import { createTestDatabase, testDrivers, useTestDatabase, type TestDatabase } from '../../support/databases';
import { until } from '../../support/polling';
import { FakeClock } from 'spine-orchestration/testing';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A workflow whose middle step waits for `gate` to open. */
function gated() {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const calls: string[] = [];
  const wf = Workflow.define({
    name: 'leased',
    steps: [
      Step.lambda('first', () => void calls.push('first')),
      Step.lambda('slow', async () => {
        calls.push('slow');
        await gate;
        return { done: true };
      }),
      Step.lambda('last', () => void calls.push('last')),
    ],
  });
  return { wf, calls, open: () => open() };
}

const lookup = (wf: WorkflowDefinition) => ({ get: (n: string) => (n === wf.name ? wf : undefined), names: () => [wf.name] });

describe.each(testDrivers())('leases on %s', (driver) => {
  const database = useTestDatabase(driver);
  let db: TestDatabase;
  beforeAll(() => {
    db = database();
  });

  it('refuses to resume a run whose lease is live, takes it over once the lease expired, and fences the old writer off', async () => {
    const { wf, calls, open } = gated();
    const clock = new FakeClock({ autoAdvance: false, start: Date.now() });
    const store = new TypeOrmRunStore(db.dataSource, { clock });
    const first = new WorkflowRunner({ store, clock, lease: { owner: 'process-A', durationMs: 600, heartbeatMs: 60_000 }, workflows: lookup(wf) });
    const second = new WorkflowRunner({ store, clock, lease: { owner: 'process-B', durationMs: 30_000 }, workflows: lookup(wf) });

    const stuck = first.execute(wf).then(
      () => null,
      (error: unknown) => error,
    );
    // the run is busy in a long step: the counters its step commit held back follow within ~250 ms
    const started = Date.now();
    const running = await until(async () => (await store.listRuns({ workflow: 'leased', status: 'running' })).find((r) => r.lastCompletedStep === 'first'), 2_000);
    expect(Date.now() - started).toBeLessThan(600);
    expect(running).toMatchObject({ leaseOwner: 'process-A', lastCompletedStep: 'first', completedSteps: 1 });
    await expect(second.resume(running!.runId)).rejects.toThrow(/is running and held by process-A until .*; it resumes there, or anywhere once that lease expires/);

    clock.advance(700); // past process-A's lease
    expect((await store.listExpiredRuns(new Date(clock.now()), 10, { hashes: [], anyOf: ['leased'] })).map((r) => r.runId)).toEqual([running!.runId]);
    const recovering = second.recover();
    await until(async () => calls.length === 3); // process-B is in "slow" too
    open();
    const [recovered] = await recovering;
    expect(recovered).toMatchObject({ runId: running!.runId, status: 'completed' });
    expect(calls).toEqual(['first', 'slow', 'slow', 'last']);

    const fenced = await stuck;
    expect(fenced).toBeInstanceOf(LeaseLostError);
    expect((fenced as Error).message).toMatch(/was claimed by another execution \(owner process-B\) at epoch 2 while this one \(epoch 1, owner process-A\) had not renewed its lease for \d\.\d s/);
    const steps = await store.getRunSteps(running!.runId);
    expect(steps.map((s) => `${s.stepName}:${s.status}`)).toEqual(['first:completed', 'slow:completed', 'last:completed']);
    expect(await store.getRun(running!.runId)).toMatchObject({ status: 'completed', leaseOwner: null });
  });

  it('cancels a run that is running under another runner at its next step boundary', async () => {
    const { wf, calls, open } = gated();
    const clock = new FakeClock({ autoAdvance: false, start: Date.now() });
    const store = new TypeOrmRunStore(db.dataSource, { clock });
    const owner = new WorkflowRunner({ store, clock, lease: { owner: 'process-C', durationMs: 30_000, heartbeatMs: 20 } });
    const operator = new WorkflowRunner({ store, clock, lease: { owner: 'operator' } });
    const running = owner.execute(wf);
    await until(async () => calls.length === 2); // in "slow"
    const [run] = await store.listRuns({ workflow: 'leased', status: 'running' });
    const asked = await operator.cancel(run!.runId);
    expect(asked).toMatchObject({ status: 'running', cancelRequested: true });
    clock.advance(20); // the owner's heartbeat comes due: its renewal reports the request too
    open();
    const result = await running;
    expect(result.status).toBe('cancelled');
    expect(calls).toEqual(['first', 'slow']);
    expect(await store.getRun(run!.runId)).toMatchObject({ status: 'cancelled', leaseOwner: null });
  });

  it('keeps a wait durable: a process that takes the run over wakes it at the recorded time, not a full wait later', async () => {
    const t0 = Date.UTC(2026, 0, 9, 12);
    const wf = Workflow.define({ name: 'leased.wait', steps: [Step.lambda('a', () => ({})), Step.wait('cooldown', { seconds: 3600 }), Step.lambda('b', () => ({ b: true }))] });
    const store = new TypeOrmRunStore(db.dataSource);
    const firstClock = new FakeClock({ start: t0, autoAdvance: false });
    const first = new WorkflowRunner({ store, clock: firstClock, lease: { owner: 'sleeper', durationMs: 1000, heartbeatMs: 60_000 } });
    void first.execute(wf).catch(() => undefined);
    await until(async () => firstClock.sleepers > 0); // in its wait
    const [run] = await store.listRuns({ workflow: 'leased.wait' });
    expect((await store.getRunSteps(run!.runId)).map((s) => `${s.stepName}:${s.status}`)).toEqual(['a:completed', 'cooldown:waiting']);

    const laterClock = new FakeClock({ start: t0 + 1_000_000 });
    const second = new WorkflowRunner({ store, clock: laterClock, lease: { owner: 'taker' } });
    const resumed = await second.resume(run!.runId, { workflow: wf });
    expect(resumed.status).toBe('completed');
    expect(laterClock.sleeps).toEqual([2_600_000]);
    expect(resumed.context.getOutput('cooldown')).toEqual({ waitedUntil: '2026-01-09T13:00:00.000Z', waitedMs: 2_600_000 });
  });

  it('marks a failed run cancelled at once', async () => {
    const wf = Workflow.define({
      name: 'leased.fails',
      steps: [
        Step.lambda('boom', () => {
          throw new Error('boom');
        }),
      ],
    });
    const runner = new WorkflowRunner({ store: new TypeOrmRunStore(db.dataSource) });
    const failed = await runner.execute(wf);
    expect(await runner.cancel(failed.runId)).toMatchObject({ status: 'cancelled' });
    await expect(runner.resume(failed.runId, { workflow: wf })).rejects.toThrow(/was cancelled; cancelled runs are final/);
  });
});

describe.each(testDrivers())('a store that goes away mid-run (%s)', (driver) => {
  it('leaves the run interrupted, with no half-written step, and it resumes once the database is back', async () => {
    const db = await createTestDatabase(driver);
    try {
      let dropDatabase = true;
      const wf = Workflow.define({
        name: 'interrupted',
        steps: [
          Step.lambda('a', () => ({ a: 1 })),
          Step.lambda('b', async () => {
            if (dropDatabase) await db.dataSource.destroy();
            return { b: 2 };
          }),
          Step.lambda('c', () => ({ c: 3 })),
        ],
      });
      const first = new WorkflowRunner({ store: new TypeOrmRunStore(db.dataSource), lease: { owner: 'gone', durationMs: 1 } });
      const consoleWarn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      const interrupted = first.execute(wf);
      await expect(interrupted).rejects.toThrow(/was interrupted at step "b": the run store failed .*resume the run once the store is back/);
      expect(consoleWarn).toHaveBeenCalledWith(expect.stringMatching(/events of run .* could not be stored/));
      consoleWarn.mockRestore();

      dropDatabase = false;
      const reopened = await db.open();
      const store = new TypeOrmRunStore(reopened);
      const [run] = await store.listRuns({ workflow: 'interrupted' });
      expect(run).toMatchObject({ status: 'running' });
      expect((await store.getRunSteps(run!.runId)).map((s) => s.stepName)).toEqual(['a']);
      await sleep(5);
      const resumed = await new WorkflowRunner({ store }).resume(run!.runId, { workflow: wf });
      expect(resumed.status).toBe('completed');
      expect((await store.getRunSteps(run!.runId)).map((s) => s.stepName)).toEqual(['a', 'b', 'c']);
      await reopened.destroy();
    } finally {
      await db.drop();
    }
  });
});
