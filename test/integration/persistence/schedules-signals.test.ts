import { Spine, Step, Workflow, WorkflowRunner } from 'spine-orchestration';
import type { DataSource } from 'typeorm';
import { TypeOrmRunStore } from '../../../src/persistence';
import { testDrivers, useTestDatabase, type TestDatabase } from '../../support/databases';

import { sleep, until as poll } from '../../support/polling';

const until = <T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> => poll(probe, timeoutMs, 10);

describe.each(testDrivers())('schedules and signals on a database (%s)', (driver) => {
  const others: DataSource[] = [];
  const spines: Spine[] = [];
  // declared before the database's own hook, so it runs first: Spines close before their database goes
  afterAll(async () => {
    await Promise.all(spines.map((s) => s.close({ timeoutMs: 2_000 })));
    await Promise.all(others.map((o) => o.destroy()));
  });
  const database = useTestDatabase(driver);
  let db: TestDatabase;
  beforeAll(() => {
    db = database();
  });
  /** A store on a DataSource of its own: another process, in effect. */
  const anotherDataSource = async () => {
    const dataSource = await db.open();
    others.push(dataSource);
    return dataSource;
  };

  it('the same fire time fired by three processes at once makes one fire row and one run; the cursor moves to it', async () => {
    const stores = [new TypeOrmRunStore(db.dataSource), new TypeOrmRunStore(await anotherDataSource()), new TypeOrmRunStore(await anotherDataSource())];
    const wf = Workflow.define({ name: `sched.${driver}`, queue: 'sched', steps: [Step.lambda('go', () => undefined)] });
    const runner = new WorkflowRunner({ store: stores[0]! });
    const name = `race-${driver}`;
    const start = new Date('2027-01-01T00:00:00Z');
    await stores[0]!.saveSchedules([{ name, workflow: wf.name, paused: false, declaration: { cron: '* * * * *', timezone: 'UTC', calendar: null, catchUp: 'all', description: null } }], start);
    for (let round = 1; round <= 20; round++) {
      const fireTime = new Date(start.getTime() + round * 60_000);
      const outcomes = await Promise.all(
        stores.map((store) =>
          store.fireSchedule({
            schedule: name,
            workflow: wf.name,
            fireTime,
            source: 'schedule',
            run: runner.queuedRun(wf, { params: { round } }, { source: 'schedule', schedule: name, fireTime }),
            error: null,
            scheduled: true,
          }),
        ),
      );
      expect(outcomes.filter((o) => o.fired)).toHaveLength(1);
      expect(outcomes.filter((o) => !o.fired).map((o) => !o.fired && o.reason)).toEqual(['handled', 'handled']);
    }
    const fires = await stores[1]!.listFires(name, start, new Date(start.getTime() + 3_600_000));
    expect(fires).toHaveLength(20);
    const runs = await stores[2]!.listRuns({ workflow: wf.name, limit: 100 });
    expect(runs).toHaveLength(20);
    expect(new Set(fires.map((f) => f.runId))).toEqual(new Set(runs.map((r) => r.runId)));
    expect(runs.every((r) => r.status === 'queued' && r.triggerSource === 'schedule' && r.triggerSchedule === name)).toBe(true);
    expect(fires.map((f) => f.runStatus)).toEqual(Array(20).fill('queued'));
    const [state] = await stores[1]!.saveSchedules(
      [{ name, workflow: wf.name, paused: true, declaration: { cron: '* * * * *', timezone: 'UTC', calendar: null, catchUp: 'all', description: null } }],
      new Date(),
    );
    expect(state).toMatchObject({ paused: false, cursor: new Date(start.getTime() + 20 * 60_000) }); // registering again changes nothing
    // a manual fire of a fired time is refused by the key; of a new time it ignores the cursor
    const manual = await stores[0]!.fireSchedule({ schedule: name, workflow: wf.name, fireTime: new Date(start.getTime() + 60_000), source: 'manual', run: null, error: 'x', scheduled: false });
    expect(manual).toEqual({ fired: false, reason: 'exists', runId: fires[0]!.runId });
  });

  it('pause and resume are kept on the database; resume moves the cursor to now', async () => {
    const store = new TypeOrmRunStore(db.dataSource);
    const other = new TypeOrmRunStore(await anotherDataSource());
    const name = `pause-${driver}`;
    await store.saveSchedules(
      [{ name, workflow: 'w', paused: false, declaration: { cron: '* * * * *', timezone: 'UTC', calendar: null, catchUp: 'all', description: null } }],
      new Date('2027-01-01T00:00:00Z'),
    );
    expect(await other.setSchedulePaused(name, true, new Date('2027-01-02T00:00:00Z'))).toMatchObject({ paused: true });
    expect((await store.listScheduleStates()).find((s) => s.name === name)).toMatchObject({ paused: true, cursor: new Date('2027-01-01T00:00:00Z') });
    const paused = await store.fireSchedule({ schedule: name, workflow: 'w', fireTime: new Date('2027-01-03T00:00:00Z'), source: 'schedule', run: null, error: 'e', scheduled: true });
    expect(paused).toEqual({ fired: false, reason: 'paused', runId: null });
    expect(await other.setSchedulePaused(name, false, new Date('2027-01-05T00:00:00Z'))).toMatchObject({ paused: false, cursor: new Date('2027-01-05T00:00:00Z') });
    expect(await store.setSchedulePaused('nope', true, new Date())).toBeNull();
  });

  it('two Spines with schedulers on the database fire every due time once, with the params of its own fire time', async () => {
    const wf = Workflow.define({ name: `tick.${driver}`, queue: `ticks-${driver}`, steps: [Step.lambda('go', (ctx) => ({ minute: ctx.getParam('minute') }))] });
    let now = Date.parse('2027-03-01T10:00:00Z');
    const schedule = { name: `every-minute-${driver}`, workflow: wf.name, cron: '* * * * *', catchUp: 'all' as const, params: (t: Date) => ({ minute: t.toISOString().slice(11, 16) }) };
    const make = async (dataSource: DataSource) => {
      const spine = await Spine.create({ database: dataSource, workflows: [wf], schedules: [schedule], recoverOnStart: false });
      spines.push(spine);
      return spine;
    };
    const a = await make(db.dataSource);
    const b = await make(await anotherDataSource());
    await new TypeOrmRunStore(db.dataSource).moveScheduleCursor(schedule.name, new Date(now));
    const worker = { queues: [wf.queue!], pollIntervalMs: 10, scheduler: { now: () => now, maxSleepMs: 5 } };
    a.startWorker(worker);
    b.startWorker(worker);
    for (let minute = 1; minute <= 15; minute++) {
      now += 60_000;
      await sleep(15);
    }
    const runs = await until(async () => {
      const all = await a.listRuns({ workflow: wf.name, limit: 100 });
      return all.length === 15 && all.every((r) => r.status === 'completed') ? all : null;
    });
    await sleep(50);
    expect(await a.listRuns({ workflow: wf.name, limit: 100 })).toHaveLength(15);
    expect(runs.map((r) => r.params.minute).sort()).toEqual(Array.from({ length: 15 }, (_, i) => `10:${String(i + 1).padStart(2, '0')}`));
    expect(runs.every((r) => r.params.minute === r.triggerFireTime!.toISOString().slice(11, 16))).toBe(true);
  });

  it('signals: kept before the wait, consumed once even by racing consumers, a parked run woken, finished runs refused', async () => {
    const store = new TypeOrmRunStore(db.dataSource);
    const other = new TypeOrmRunStore(await anotherDataSource());
    const wf = Workflow.define({ name: `signalled.${driver}`, queue: `sig-${driver}`, steps: [Step.waitForSignal('go'), Step.lambda('done', () => undefined)] });
    const runner = new WorkflowRunner({ store });
    const { runId } = await runner.enqueue(wf);
    const first = await store.sendSignal(runId, 'go', { n: 1 }, new Date(), null);
    await other.sendSignal(runId, 'go', [2], new Date(), null);
    expect(first).toMatchObject({ runId, name: 'go', payload: { n: 1 }, consumedBy: null });
    // two executions race for the oldest signal: one gets it, the other the next one; each keeps its own
    const [x, y] = await Promise.all([store.consumeSignal(runId, 'go', 'k1', null, new Date()), other.consumeSignal(runId, 'go', 'k2', null, new Date())]);
    expect(new Set([x!.signalId, y!.signalId]).size).toBe(2);
    expect(await store.consumeSignal(runId, 'go', 'k1', null, new Date())).toMatchObject({ signalId: x!.signalId, consumedBy: 'k1' });
    expect(await store.consumeSignal(runId, 'go', 'k3', null, new Date())).toBeNull();
    expect((await other.listSignals(runId)).map((s) => s.payload)).toEqual([{ n: 1 }, [2]]);

    // a worker runs it: it parks (no signal left for it), and a signal from another process wakes it
    const spine = await Spine.create({ database: db.dataSource, workflows: [wf], recoverOnStart: false, worker: { queues: [wf.queue!], pollIntervalMs: 10 } });
    spines.push(spine);
    const { runId: parked } = await spine.enqueue(wf.name);
    await until(async () => (await store.getRun(parked))?.status === 'waiting');
    expect((await store.getRun(parked))!.leaseExpiresAt!.getUTCFullYear()).toBe(9999);
    await new WorkflowRunner({ store: other }).signal(parked, 'go', 'now');
    const result = await spine.waitForResult(parked, { timeoutMs: 10_000 });
    expect(result.context.getOutput('go', 'payload')).toBe('now');
    await expect(other.sendSignal(parked, 'go', null, new Date(), null)).rejects.toThrow(new RegExp(`Run "${parked}" of workflow "${wf.name}" is completed; the signal "go" was not sent`));
    await expect(store.sendSignal('missing-run', 'go', null, new Date(), null)).rejects.toThrow(/Run "missing-run" is not in the run store/);
  });

  it('many runs parking while signals arrive from another process: none is left waiting (no lost wake-up)', async () => {
    const wf = Workflow.define({ name: `race.${driver}`, queue: `race-${driver}`, steps: [Step.lambda('before', () => undefined), Step.waitForSignal('go'), Step.lambda('after', () => undefined)] });
    const spine = await Spine.create({ database: db.dataSource, workflows: [wf], recoverOnStart: false, worker: { queues: [wf.queue!], pollIntervalMs: 10, concurrency: 8 } });
    spines.push(spine);
    const sender = new WorkflowRunner({ store: new TypeOrmRunStore(await anotherDataSource()) });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await spine.enqueue(wf.name)).runId);
    // signals sent at random moments: before the run starts, while it runs 'before', as it parks, after
    await Promise.all(
      ids.map(async (id, i) => {
        await sleep((i * 7) % 60);
        await sender.signal(id, 'go', i);
      }),
    );
    const results = await Promise.all(ids.map((id) => spine.waitForResult(id, { timeoutMs: 20_000 })));
    expect(results.map((r) => r.status)).toEqual(Array(30).fill('completed'));
    expect(results.map((r) => r.context.getOutput('go', 'payload'))).toEqual(ids.map((_, i) => i));
  });
});
