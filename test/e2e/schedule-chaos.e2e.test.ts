/**
 * Schedule chaos: three worker processes run the schedulers of two schedules (every 15 minutes,
 * and 18:00 New York on trading days, a holiday skipped) through a simulated week on an
 * accelerated clock, while the test SIGKILLs workers (replacing them) and once kills them all
 * (an outage: the missed fires are caught up). Every fired run waits for a signal the test
 * process sends (before or after the run reaches its wait, parked or not). Asserted from the
 * database and the side-effect log: every fire time of the week has exactly one run, none more;
 * every run completed with its own signal's payload, each signal consumed by exactly one step
 * execution; each completed step recorded once. Trial counts are printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCron, compileSchedule, firesBetween, recordedSchedule, tradingCalendar, WorkflowRunner } from 'spine-orchestration';
import type { DataSource } from 'typeorm';
import { TypeOrmRunStore } from '../../src/persistence';
import { createTestDatabase, testDrivers, type TestDatabase } from '../support/databases';
import { allEntries, endChildren, startChild, type Child } from './support/chaos';

// every test here spawns processes: seconds each on a loaded 2-core machine
jest.setTimeout(60_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const defs = require('./support/schedule-defs.cjs') as { scheduleDeclarations(lib: { tradingCalendar: typeof tradingCalendar }): Parameters<typeof compileSchedule>[0][] };

const SCHEDULE_CHILD = join(__dirname, 'support', 'schedule-child.cjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let seed = 20261129;
const random = (min: number, max: number): number => min + Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * (max - min));

const T0 = Date.parse('2027-03-01T00:00:00Z');
const WEEK_MS = 7 * 86_400_000;
const REAL_MS = 10_000;
const SPEED = WEEK_MS / REAL_MS;

describe.each(testDrivers())('schedule chaos on %s', (driver) => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spine-schedule-chaos-'));
    db = await createTestDatabase(driver);
  }, 60_000);
  afterAll(async () => {
    endChildren();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('3 workers fire a simulated week of schedules under SIGKILLs and an outage: each fire time once, every run signalled once', async () => {
    const log = join(dir, 'side-effects.log');
    writeFileSync(log, '');
    const dataSource: DataSource = db.dataSource;
    const store = new TypeOrmRunStore(dataSource);
    const schedules = defs.scheduleDeclarations({ tradingCalendar }).map((d) => compileSchedule(d, compileCron, {}));
    await store.saveSchedules(
      schedules.map((s) => ({ name: s.name, workflow: s.workflow, paused: false, declaration: recordedSchedule(s) })),
      new Date(T0),
    );
    const options = dataSource.options as { database?: string; url?: string };
    const database = driver === 'sqlite' ? options.database! : options.url!;
    const r0 = Date.now();
    const base = { database, log, t0: T0, r0, speed: SPEED };
    const workers: Child[] = [];
    const start = (extra: Record<string, unknown> = {}): Child => {
      const child = startChild({ ...base, role: 'worker', ...extra }, SCHEDULE_CHILD);
      workers.push(child);
      return child;
    };
    const live = () => workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
    const kill = async (victim: Child) => {
      victim.proc.kill('SIGKILL');
      await victim.exited;
    };

    // the test process signals every fired run once, whatever state it is in
    const signaller = new WorkflowRunner({ store: new TypeOrmRunStore(await db.open()) });
    const signalled = new Set<string>();
    let signalling = true;
    const signals = (async () => {
      while (signalling) {
        const runs = await store.listRuns({ workflow: 'sc.tick', status: ['queued', 'running', 'waiting'], limit: 500 });
        for (const run of runs) {
          if (signalled.has(run.runId)) continue;
          signalled.add(run.runId);
          await signaller.signal(run.runId, 'ack', { fire: run.params.fire });
        }
        await sleep(random(20, 80));
      }
    })();

    for (let i = 0; i < 3; i++) start();
    const counts = { kills: 0, outages: 0 };
    const outageAt = r0 + random(5_000, 9_000);
    while (Date.now() - r0 < REAL_MS) {
      await sleep(random(400, 1_200));
      if (counts.outages === 0 && Date.now() > outageAt) {
        counts.outages++;
        await Promise.all(live().map(kill));
        await sleep(1_000); // ~11 simulated hours without a worker
        for (let i = 0; i < 3; i++) start();
        continue;
      }
      const victims = live();
      if (victims.length === 0) continue;
      await kill(victims[random(0, victims.length)]!);
      counts.kills++;
      start();
    }
    // the week ends: stop every worker, then one drains with its clock frozen at the end of the week
    await Promise.all(live().map(kill));
    const end = T0 + (Date.now() - r0) * SPEED;
    start({ freezeAt: end });
    start({ freezeAt: end });
    const expected = new Map(schedules.map((s) => [s.name, firesBetween(s, new Date(T0), new Date(end)).map((d) => d.getTime())]));
    const total = [...expected.values()].reduce((n, f) => n + f.length, 0);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const completed = (await store.listRuns({ workflow: 'sc.tick', status: 'completed', limit: 5_000 })).length;
      if (completed >= total) break;
      if (Date.now() > deadline) throw new Error(`${completed} of ${total} runs completed in time`);
      await sleep(200);
    }
    signalling = false;
    await signals;
    await Promise.all(live().map(kill));

    // every fire time of the week exactly once, and nothing else
    const runs = await store.listRuns({ workflow: 'sc.tick', limit: 5_000 });
    expect(runs).toHaveLength(total);
    for (const schedule of schedules) {
      const fires = await store.listFires(schedule.name, new Date(T0 - 1), new Date(end + WEEK_MS));
      expect(fires.map((f) => f.fireTime.getTime())).toEqual(expected.get(schedule.name));
      const own = runs
        .filter((r) => r.triggerSchedule === schedule.name)
        .map((r) => r.triggerFireTime!.getTime())
        .sort((a, b) => a - b);
      expect(own).toEqual(expected.get(schedule.name));
    }
    const daily = expected.get('trading-close')!.map((t) => new Date(t).toISOString().slice(0, 10));
    expect(daily).not.toContain('2027-03-03'); // the holiday
    // every run completed with its own signal, consumed once; every completed step recorded once
    expect(runs.filter((r) => r.status !== 'completed').map((r) => `${r.runId} ${r.status} ${r.error ?? ''}`)).toEqual([]);
    const problems: string[] = [];
    for (const run of runs) {
      const sent = await store.listSignals(run.runId);
      if (sent.length !== 1 || sent[0]!.consumedBy !== `${run.runId}:ack:1`) problems.push(`${run.runId}: signals ${JSON.stringify(sent)}`);
      const steps = (await store.getRunSteps(run.runId)).filter((s) => s.status === 'completed');
      const names = steps.map((s) => s.stepName);
      if (names.join(',') !== 'tick,ack,done') problems.push(`${run.runId}: completed steps ${names.join(',')}`);
      const ack = steps.find((s) => s.stepName === 'ack')?.output;
      if (ack?.fire !== run.params.fire) problems.push(`${run.runId}: ack ${JSON.stringify(ack)} for fire ${String(run.params.fire)}`);
    }
    expect(problems).toEqual([]);
    const entries = allEntries(log);
    const ticks = entries.filter((e) => e.ev === 'start').length;
    const parks = entries.filter((e) => e.ev === 'parked').length;
    const claims = entries.filter((e) => e.ev === 'claim').length;
    expect(counts.kills).toBeGreaterThan(0);
    expect(counts.outages).toBe(1);
    console.log(
      `schedule chaos on ${driver}: a simulated week (${SPEED.toFixed(0)}× real time), 3 workers; ${counts.kills} SIGKILLs (replaced) and 1 outage of every worker; ` +
        `${total} fire times (${expected.get('every-15-min')!.length} every 15 min, ${expected.get('trading-close')!.length} trading-day closes) → ${runs.length} runs, each once; ` +
        `${ticks} tick executions (${ticks - total} re-run after a kill), ${claims} claims, ${parks} parks waiting for a signal; ${signalled.size} signals sent, each consumed once; 0 violations`,
    );
  }, 240_000);
});
