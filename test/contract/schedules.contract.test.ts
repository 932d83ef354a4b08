import type { ScheduleFireWrite } from 'spine-orchestration';
import { checkScheduleModel } from '../fixtures/schedule-model';
import { newRun } from '../fixtures/records';
import { describeEachStore, freshStorePerTest, uniqueId } from './support/contract-stores';

const HOUR = 3_600_000;
/** An hourly schedule's declaration, as a process that declares it records it. */
const HOURLY = { cron: '0 * * * *', timezone: 'UTC', calendar: null, catchUp: 'latest' as const, description: null };

/** ScheduleStore: a schedule's state and its fires, each fire time once, never while paused; and the clock schedulers decide by. */
describeEachStore('contract: ScheduleStore', (backend) => {
  const t = freshStorePerTest(backend);
  const at = t.at;
  const fire = (schedule: string, fireTime: Date, scheduled: boolean): ScheduleFireWrite => ({
    schedule,
    workflow: 'w',
    fireTime,
    source: scheduled ? 'schedule' : 'manual',
    scheduled,
    error: null,
    run: { ...newRun({ runId: uniqueId(`${schedule}-run`), startedAt: at() }), enqueue: { queue: 'default', priority: 0, concurrencyKey: null, notBefore: fireTime } },
  });

  it('scheduler passes of three processes with stale reads, pauses, resumes and manual fires behave as the model: each fire time once, never while paused (property-based)', async () => {
    await checkScheduleModel(() => backend.make(), backend.propertyRuns(200));
  }, 120_000);

  it('registers a new schedule from now as declared, keeps a known one as it is, and pauses and resumes it (a resume skips what fell while paused)', async () => {
    const name = uniqueId('sched.state');
    const [state] = await t.store.saveSchedules([{ name, workflow: 'w', paused: true, declaration: HOURLY }], at());
    expect(state).toMatchObject({ name, workflow: 'w', paused: true, cursor: at() });
    t.clock.advance(HOUR);
    expect((await t.store.saveSchedules([{ name, workflow: 'w', paused: false, declaration: HOURLY }], at()))[0]).toMatchObject({ paused: true, cursor: at(-HOUR) });
    expect(await t.store.setSchedulePaused(name, false, at())).toMatchObject({ paused: false, cursor: at() });
    expect(await t.store.setSchedulePaused(uniqueId('unknown'), true, at())).toBeNull();
    expect((await t.store.listScheduleStates()).find((s) => s.name === name)?.paused).toBe(false);
  });

  it("records each schedule's declaration, as the process that registered it last has it (a process without the code lists it)", async () => {
    const name = uniqueId('sched.declared');
    const [state] = await t.store.saveSchedules([{ name, workflow: 'w', paused: false, declaration: HOURLY }], at());
    expect(state!.declaration).toEqual(HOURLY);
    const moved = { cron: '0 18 * * FRI', timezone: 'America/New_York', calendar: 'XNYS', catchUp: 'all' as const, description: 'Fridays, New York' };
    await t.store.saveSchedules([{ name, workflow: 'w', paused: false, declaration: moved }], at());
    expect((await t.store.listScheduleStates()).find((s) => s.name === name)?.declaration).toEqual(moved);
  });

  it('fires a time once with its run; a scheduler fire moves the cursor and is refused while paused or behind the cursor; a manual fire is not', async () => {
    const name = uniqueId('sched.fire');
    await t.store.saveSchedules([{ name, workflow: 'w', paused: false, declaration: HOURLY }], at());
    const first = fire(name, at(HOUR), true);
    expect(await t.store.fireSchedule(first)).toEqual({ fired: true, runId: first.run!.runId });
    expect(await t.store.fireSchedule(fire(name, at(HOUR), false))).toEqual({ fired: false, reason: 'exists', runId: first.run!.runId });
    expect(await t.store.fireSchedule(fire(name, at(HOUR / 2), true))).toMatchObject({ fired: false, reason: 'handled' });
    await t.store.setSchedulePaused(name, true, at());
    expect(await t.store.fireSchedule(fire(name, at(2 * HOUR), true))).toMatchObject({ fired: false, reason: 'paused' });
    expect((await t.store.fireSchedule(fire(name, at(3 * HOUR), false))).fired).toBe(true);
    const fires = await t.store.listFires(name, at(), at(4 * HOUR));
    expect(fires.map((f) => [f.fireTime.getTime() - t.clock.now(), f.source, f.runStatus])).toEqual([
      [HOUR, 'schedule', 'queued'],
      [3 * HOUR, 'manual', 'queued'],
    ]);
    expect((await t.store.latestFires([name])).map((f) => f.fireTime.getTime() - t.clock.now())).toEqual([3 * HOUR]);
  });

  it('moves a cursor forward only', async () => {
    const name = uniqueId('sched.cursor');
    await t.store.saveSchedules([{ name, workflow: 'w', paused: false, declaration: HOURLY }], at());
    await t.store.moveScheduleCursor(name, at(2 * HOUR));
    await t.store.moveScheduleCursor(name, at(HOUR));
    expect((await t.store.listScheduleStates()).find((s) => s.name === name)?.cursor).toEqual(at(2 * HOUR));
  });

  it('reads the time schedulers decide by: the t.store’s own t.clock (the database’s, or the in-memory t.store’s)', async () => {
    const now = await t.store.databaseTime();
    const expected = backend.name === 'memory' ? t.clock.now() : Date.now();
    expect(Math.abs(now.getTime() - expected)).toBeLessThan(60_000);
  });
});
