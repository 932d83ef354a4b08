import 'reflect-metadata';
import { InMemoryRunStore, LambdaStep, Schedule, Spine, SpineStartupError, Step, Workflow, type WorkflowContext } from 'spine-orchestration';

import { sleep, until } from '../../support/polling';
import { useSpines } from '../../support/spines';
import { createSpineDataSource, runMigrationsExclusively, sqliteOptions, TypeOrmRunStore } from '../../../src/persistence';

const report = Workflow.define({
  name: 'report',
  queue: 'reports',
  steps: [Step.lambda('build', (ctx) => ({ day: ctx.getParam('day'), tier: ctx.getParam('tier') }))],
});

/** A clock the test moves: the schedulers read it. */
class TestTime {
  constructor(public at: number) {}
  readonly now = (): number => this.at;
  set(iso: string): void {
    this.at = Date.parse(iso);
  }
}

describe('schedules (in-memory store)', () => {
  const { create } = useSpines();
  const daily = {
    name: 'daily-report',
    workflow: 'report',
    cron: '0 18 * * *',
    timezone: 'America/New_York',
    params: (_t: Date, fire: { localDate: string }) => ({ day: fire.localDate, tier: 'T1' }),
  };

  it('fires each fire time once across three workers on one store, with params from its fire time, trigger source and schedule recorded', async () => {
    const store = new InMemoryRunStore();
    const time = new TestTime(Date.parse('2027-06-01T12:00:00Z'));
    const worker = { queues: ['reports'], pollIntervalMs: 5, scheduler: { now: time.now, maxSleepMs: 5 } };
    // registration happens at start-up with the cursor at (real) now; the test's time lies ahead of it
    const three = [];
    for (let i = 0; i < 3; i++) three.push(await create({ store, workflows: [report], schedules: [{ ...daily, catchUp: 'all' }] }));
    await store.moveScheduleCursor('daily-report', new Date(time.at));
    time.set('2027-06-04T22:30:00Z');
    for (const spine of three) spine.startWorker(worker); // 18:00 NY on 06-01, 06-02, 06-03 and 06-04 are due (all within the catch-up bound)
    const runs = await until(async () => {
      const all = await store.listRuns({ workflow: 'report' });
      return all.length === 4 && all.every((r) => r.status === 'completed') ? all : null;
    });
    await sleep(50); // more passes by all three schedulers: nothing more is fired
    expect(await store.listRuns({ workflow: 'report' })).toHaveLength(4);
    const sorted = [...runs].sort((a, b) => a.triggerFireTime!.getTime() - b.triggerFireTime!.getTime());
    expect(sorted.map((r) => [r.params.day, r.triggerSource, r.triggerSchedule, r.triggerFireTime!.toISOString(), r.asOfDate])).toEqual([
      ['2027-06-01', 'schedule', 'daily-report', '2027-06-01T22:00:00.000Z', '2027-06-01'],
      ['2027-06-02', 'schedule', 'daily-report', '2027-06-02T22:00:00.000Z', '2027-06-02'],
      ['2027-06-03', 'schedule', 'daily-report', '2027-06-03T22:00:00.000Z', '2027-06-03'],
      ['2027-06-04', 'schedule', 'daily-report', '2027-06-04T22:00:00.000Z', '2027-06-04'],
    ]);
    const [listed] = await three[0]!.listSchedules();
    expect(listed).toMatchObject({ name: 'daily-report', paused: false, lastFire: { fireTime: new Date('2027-06-04T22:00:00Z'), runStatus: 'completed', source: 'schedule' } });
  });

  it("'latest' fires only the newest missed fire and warns naming the backfill that fires the rest", async () => {
    const store = new InMemoryRunStore();
    const time = new TestTime(Date.parse('2027-06-01T12:00:00Z'));
    const warnings: string[] = [];
    const spine = await create({
      store,
      workflows: [report],
      schedules: [daily],
      logger: { warn: (_f, m) => void warnings.push(m), info: () => undefined },
    });
    await store.moveScheduleCursor('daily-report', new Date(time.at));
    spine.startWorker({ queues: ['reports'], pollIntervalMs: 5, scheduler: { now: time.now, maxSleepMs: 5 } });
    time.set('2027-06-05T23:00:00Z');
    const [run] = await until(async () => {
      const all = await store.listRuns({ workflow: 'report', status: 'completed' });
      return all.length > 0 ? all : null;
    });
    await sleep(30);
    expect(await store.listRuns({ workflow: 'report' })).toHaveLength(1);
    expect(run!.params.day).toBe('2027-06-05');
    expect(warnings.join('\n')).toMatch(
      /schedule "daily-report": fires missed between 2027-06-01T12:00:00.000Z and 2027-06-05T22:00:00.000Z were skipped \(catchUp 'latest'\); `npx spine backfill daily-report/,
    );
  });

  it('pause holds every fire (state on the store); resume goes on from now without catching up the paused span', async () => {
    const store = new InMemoryRunStore();
    const time = new TestTime(Date.parse('2027-06-01T12:00:00Z'));
    const spine = await create({ store, workflows: [report], schedules: [{ ...daily, catchUp: 'all' }] });
    await store.moveScheduleCursor('daily-report', new Date(time.at));
    expect(await spine.pauseSchedule('daily-report')).toMatchObject({ paused: true });
    spine.startWorker({ queues: ['reports'], pollIntervalMs: 5, scheduler: { now: time.now, maxSleepMs: 5 } });
    time.set('2027-06-03T23:00:00Z');
    await sleep(60);
    expect(await store.listRuns({ workflow: 'report' })).toEqual([]);
    // a second Spine on the store sees it paused too
    const other = await create({ store, workflows: [report], schedules: [{ ...daily, catchUp: 'all' }] });
    expect((await other.listSchedules())[0]).toMatchObject({ paused: true });
    // resume: the cursor moves to now unless it is past it already (here the schedulers' fake now, which the
    // cursor is set to first: the scheduler looks at once on resume), so the paused fires are not caught up
    await store.moveScheduleCursor('daily-report', new Date('2027-06-03T23:00:00Z'));
    await spine.resumeSchedule('daily-report');
    const state = (await store.listScheduleStates())[0]!;
    expect(state).toMatchObject({ paused: false, cursor: new Date('2027-06-03T23:00:00Z') });
    await sleep(30);
    expect(await store.listRuns({ workflow: 'report' })).toEqual([]);
    time.set('2027-06-04T22:00:01Z');
    const runs = await until(async () => {
      const all = await store.listRuns({ workflow: 'report' });
      return all.length > 0 ? all : null;
    });
    expect(runs.map((r) => r.params.day)).toEqual(['2027-06-04']);
  });

  it('trigger fires by hand through the same path (source manual), once per fire time', async () => {
    const store = new InMemoryRunStore();
    const spine = await create({ store, workflows: [report], schedules: [daily], worker: { queues: ['reports'], pollIntervalMs: 5, scheduler: false } });
    const fired = await spine.triggerSchedule('daily-report', { at: new Date('2026-07-01T22:00:00.400Z') });
    expect(fired.fireTime.toISOString()).toBe('2026-07-01T22:00:00.000Z');
    const result = await spine.waitForResult(fired.runId, { timeoutMs: 3_000 });
    expect(result.context.getOutput('build', 'day')).toBe('2026-07-01');
    expect(await spine.getRun(fired.runId)).toMatchObject({ triggerSource: 'manual', triggerSchedule: 'daily-report', queue: 'reports' });
    await expect(spine.triggerSchedule('daily-report', { at: new Date('2026-07-01T22:00:00Z') })).rejects.toThrow(
      new RegExp(`Schedule "daily-report" fired 2026-07-01T22:00:00.000Z before \\(run ${fired.runId}\\)`),
    );
    await expect(spine.triggerSchedule('nightly')).rejects.toThrow(/Schedule "nightly" is not declared in this application. Known schedules: daily-report\./);
  });

  it('backfill enqueues missing fire times, resumes failed ones, skips completed ones; a dry run only plans', async () => {
    const store = new InMemoryRunStore();
    let failDay: string | null = '2026-06-02';
    const flaky = Workflow.define({
      name: 'report',
      queue: 'reports',
      steps: [
        Step.lambda('build', (ctx) => ({ day: ctx.getParam('day') })),
        Step.lambda('publish', (ctx) => {
          if (ctx.getParam('day') === failDay) throw new Error('publisher down');
          return { published: true };
        }),
      ],
    });
    const spine = await create({ store, workflows: [flaky], schedules: [daily], worker: { queues: ['reports'], pollIntervalMs: 5, scheduler: false } });
    for (const day of ['2026-06-01', '2026-06-02']) await spine.triggerSchedule('daily-report', { at: new Date(`${day}T22:00:00Z`) });
    await until(async () => (await store.listRuns({ workflow: 'report', status: ['completed', 'failed'] })).length === 2);
    const plan = await spine.backfill('daily-report', { from: '2026-06-01', to: '2026-06-04', dryRun: true });
    expect(plan.entries.map((e) => [e.localDate, e.action, e.reason])).toEqual([
      ['2026-06-01', 'skip', 'completed'],
      ['2026-06-02', 'resume', 'failed'],
      ['2026-06-03', 'enqueue', 'missing'],
      ['2026-06-04', 'enqueue', 'missing'],
    ]);
    expect(await store.listRuns({ workflow: 'report' })).toHaveLength(2); // nothing done
    failDay = null;
    const done = await spine.backfill('daily-report', { from: '2026-06-01', to: '2026-06-04' });
    expect(done.entries.map((e) => e.action)).toEqual(['skip', 'resume', 'enqueue', 'enqueue']);
    const runs = await until(async () => {
      const all = await store.listRuns({ workflow: 'report' });
      return all.length === 4 && all.every((r) => r.status === 'completed') ? all : null;
    });
    expect(runs.map((r) => [r.params.day, r.triggerSource]).sort()).toEqual([
      ['2026-06-01', 'manual'],
      ['2026-06-02', 'manual'],
      ['2026-06-03', 'backfill'],
      ['2026-06-04', 'backfill'],
    ]);
    // the failed run resumed at its failed step: 'build' ran once
    const resumed = done.entries[1]!.runId!;
    expect((await store.getRunSteps(resumed)).filter((s) => s.stepName === 'build' && s.status === 'completed')).toHaveLength(1);
    await expect(spine.backfill('daily-report', { from: '2026-06-04', to: '2026-06-01' })).rejects.toThrow(/--from 2026-06-04 is after --to 2026-06-01/);
    await expect(spine.backfill('daily-report', { from: 'June', to: '2026-06-01' })).rejects.toThrow(/--from must be a date like 2026-01-02 \(got "June"\)/);
  });

  it('@Schedule on a workflow class; a fire whose params fail its DTO records the error and makes no run', async () => {
    @Schedule('0 6 * * MON', { name: 'weekly-a', params: (t) => ({ week: t.toISOString().slice(0, 10) }) })
    @Schedule('0 7 * * MON', {
      name: 'weekly-b',
      params: () => {
        throw new Error('the calendar service is down');
      },
    })
    @Workflow({ name: 'weekly', queue: 'reports' })
    class WeeklyWorkflow {
      @LambdaStep()
      go(ctx: WorkflowContext) {
        if (typeof ctx.getParam('week') !== 'string') throw new Error('week must be a string');
        return { week: ctx.getParam('week') };
      }
    }
    const store = new InMemoryRunStore();
    const warnings: string[] = [];
    const spine = await create({ store, workflows: [WeeklyWorkflow], logger: { warn: (_f, m) => void warnings.push(m) } });
    expect((await spine.listSchedules()).map((s) => [s.name, s.cron, s.timezone, s.catchUp])).toEqual([
      ['weekly-a', '0 6 * * MON', 'UTC', 'latest'],
      ['weekly-b', '0 7 * * MON', 'UTC', 'latest'],
    ]);
    const fired = await spine.triggerSchedule('weekly-a', { at: new Date('2026-06-01T06:00:00Z') });
    expect((await spine.getRun(fired.runId))!.params).toEqual({ week: '2026-06-01' });
    await expect(spine.triggerSchedule('weekly-b', { at: new Date('2026-06-01T07:00:00Z') })).rejects.toThrow(/the fire at 2026-06-01T07:00:00.000Z made no run/);
    expect(warnings.join('\n')).toMatch(
      /schedule "weekly-b": the fire at 2026-06-01T07:00:00.000Z made no run: schedule "weekly-b": params for the fire at 2026-06-01T07:00:00.000Z threw: the calendar service is down/,
    );
    const listed = (await spine.listSchedules()).find((s) => s.name === 'weekly-b')!;
    expect(listed.lastFire).toMatchObject({ runId: null, error: expect.stringMatching(/the calendar service is down/) });
    // the fire time is recorded: a scheduler does not try it again and again
    await expect(spine.triggerSchedule('weekly-b', { at: new Date('2026-06-01T07:00:00Z') })).rejects.toThrow(/fired 2026-06-01T07:00:00.000Z before \(run none: its params failed\)/);
  });

  it('a fire whose run the store cannot keep (params too large) is recorded with why, and the schedule goes on', async () => {
    const dataSource = await createSpineDataSource(sqliteOptions(':memory:')).initialize();
    await runMigrationsExclusively(dataSource);
    const store = new TypeOrmRunStore(dataSource, { maxOutputBytes: 1_000 });
    const warnings: string[] = [];
    const big = { name: 'big', workflow: 'report', cron: '0 18 * * *', params: () => ({ day: 'x'.repeat(5_000), tier: 'T1' }) };
    const spine = await create({ store, workflows: [report], schedules: [big], logger: { warn: (_f, m) => void warnings.push(m) } });
    await expect(spine.triggerSchedule('big', { at: new Date('2027-01-01T18:00:00Z') })).rejects.toThrow(/made no run/);
    const [state] = await spine.listSchedules();
    expect(state!.lastFire).toMatchObject({ runId: null, error: expect.stringMatching(/params of run/) });
    expect(warnings.join('\n')).toMatch(/schedule "big": the fire at 2027-01-01T18:00:00.000Z made no run: .*params of run/);
    expect(() => spine.startWorker({ scheduler: { maxSleepMs: 0 } })).toThrow(/worker\.scheduler\.maxSleepMs must be a number ≥ 1 \(got 0\)/);
    await spine.close();
    await dataSource.destroy();
  });

  it('start-up names a schedule of an unknown workflow, a bad cron and a duplicate name, all at once', async () => {
    const error = await Spine.create({
      store: new InMemoryRunStore(),
      workflows: [report],
      recoverOnStart: false,
      schedules: [
        { workflow: 'nope', cron: '0 * * * *' },
        { name: 'x', workflow: 'report', cron: '61 * * * *' },
        { name: 'twice', workflow: 'report', cron: '0 1 * * *' },
        { name: 'twice', workflow: 'report', cron: '0 2 * * *' },
      ],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpineStartupError);
    const message = (error as Error).message;
    expect(message).toMatch(/schedule "nope@0 \* \* \* \*": workflow "nope" is not registered/);
    expect(message).toMatch(/schedule "x": cron "61 \* \* \* \*" is not valid/);
    expect(message).toMatch(/schedule name "twice" is used twice/);
  });
});
