import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { Spine, Step, Workflow, type SpineOptions } from 'spine-orchestration';
import { testDrivers, useTestDatabase } from '../support/databases';
import { until } from '../support/polling';

jest.setTimeout(60_000);

/** Polls that never come in a test's time: whatever happens sooner was a wake-up. */
const NEVER = 600_000;

const quick = Workflow.define({ name: 'wake.quick', queue: 'wake-q', steps: [Step.lambda('one', () => ({ ok: true }))] });
const parked = Workflow.define({
  name: 'wake.parked',
  queue: 'wake-q',
  steps: [Step.waitForSignal('go'), Step.lambda('done', (ctx) => ({ got: ctx.getOutput('go') ?? null }))],
});
const stuck = Workflow.define({
  name: 'wake.stuck',
  queue: 'wake-q',
  steps: [
    Step.lambda(
      'hold',
      (_ctx, _config, { signal }) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        }),
    ),
  ],
});

if (!testDrivers().includes('postgres')) console.log('PostgreSQL wake-ups NOT CHECKED: no PostgreSQL server here (the test set-up said why).');

(testDrivers().includes('postgres') ? describe : describe.skip)('wake-ups across processes on PostgreSQL (LISTEN/NOTIFY)', () => {
  const database = useTestDatabase('postgres');
  const spines: Spine[] = [];
  const warnings: string[] = [];
  /** A Spine on its own DataSource: another process, as far as the database can tell. */
  const open = async (options: Partial<SpineOptions> = {}): Promise<Spine> => {
    const dataSource: DataSource = await database().open();
    const spine = await Spine.create({
      database: dataSource,
      workflows: [quick, parked, stuck],
      recoverOnStart: false,
      lease: { durationMs: NEVER, heartbeatMs: NEVER },
      logger: { warn: (_fields: object, message: string) => void warnings.push(message), error: () => undefined },
      ...options,
    });
    spines.push(spine);
    return spine;
  };
  afterEach(async () => {
    await Promise.all(spines.splice(0).map((s) => s.close({ timeoutMs: 2_000 })));
  });

  it('an enqueue in one process starts the run in an idle worker of another at once, not at its next poll', async () => {
    await open({ worker: { queues: ['wake-q'], pollIntervalMs: NEVER } });
    const client = await open();
    const { runId } = await client.enqueue('wake.quick');
    // the worker polls every 10 minutes: only the NOTIFY can have woken it
    const result = await client.waitForResult(runId, { timeoutMs: 20_000, pollIntervalMs: NEVER });
    expect(result.status).toBe('completed');
  });

  it("a signal sent from one process wakes the run parked in another's worker, and waitForResult hears the end", async () => {
    const worker = await open({ worker: { queues: ['wake-q'], pollIntervalMs: NEVER, parkAfterMs: 0 } });
    const client = await open();
    const { runId } = await client.enqueue('wake.parked');
    await until(async () => (await client.getRun(runId))?.status === 'waiting', 20_000);
    await client.signal(runId, 'go', { n: 7 });
    const result = await client.waitForResult(runId, { timeoutMs: 20_000, pollIntervalMs: NEVER });
    expect(result.status).toBe('completed');
    expect(result.context.getOutput('done')).toEqual({ got: { n: 7 } });
    expect(worker.activeRuns).toBe(0);
  });

  it('a cancel from one process stops the step running in another at once, not at its next heartbeat', async () => {
    await open({ worker: { queues: ['wake-q'], pollIntervalMs: NEVER } });
    const client = await open();
    const { runId } = await client.enqueue('wake.stuck');
    await until(async () => (await client.getRun(runId))?.status === 'running', 20_000);
    await client.cancel(runId);
    const result = await client.waitForResult(runId, { timeoutMs: 20_000, pollIntervalMs: NEVER });
    expect(result.status).toBe('cancelled');
  });

  it('re-establishes a listening connection the server dropped, says so, and is woken again after', async () => {
    const worker = await open({ worker: { queues: ['wake-q'], pollIntervalMs: NEVER } });
    const client = await open();
    const first = await client.enqueue('wake.quick');
    expect((await client.waitForResult(first.runId, { timeoutMs: 20_000, pollIntervalMs: NEVER })).status).toBe('completed');
    warnings.length = 0;
    // the server ends every listening connection (a restart, a failover, an idle timeout)
    const killed = (await database().dataSource.query("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE query = 'LISTEN spine_wakeup' AND pid <> pg_backend_pid()")) as {
      ok: boolean;
    }[];
    expect(killed.length).toBeGreaterThanOrEqual(2);
    await until(async () => warnings.filter((w) => /listening again/.test(w)).length >= 2, 20_000);
    expect(warnings.some((w) => /the listening connection was lost .*polling until it is back\. Reconnecting\./.test(w))).toBe(true);
    const second = await client.enqueue('wake.quick');
    expect((await client.waitForResult(second.runId, { timeoutMs: 20_000, pollIntervalMs: NEVER })).status).toBe('completed');
    expect(worker.isClosed).toBe(false);
  });

  it("a schedule resumed in one process fires from another's scheduler at its next time, not after the scheduler's long sleep", async () => {
    const tick = Workflow.define({ name: 'wake.tick', queue: 'wake-ticks', steps: [Step.lambda('tick', (ctx) => ({ fire: ctx.getParam<string>('fire') }))] });
    const schedules = [{ name: 'wake.every-second', workflow: 'wake.tick', cron: '* * * * * *', params: (fireTime: Date) => ({ fire: fireTime.toISOString() }) }];
    const admin = await open({ workflows: [tick], schedules });
    await admin.pauseSchedule('wake.every-second');
    // the scheduler sleeps up to 10 minutes while its only schedule is paused: only a wake-up ends that sleep
    await open({ workflows: [tick], schedules, worker: { queues: ['wake-ticks'], pollIntervalMs: NEVER, scheduler: { maxSleepMs: NEVER } } });
    await new Promise((resolve) => setTimeout(resolve, 300)); // its first pass has seen the schedule paused
    expect(await admin.listRuns({ workflow: 'wake.tick' })).toEqual([]);
    await admin.resumeSchedule('wake.every-second');
    const runs = await until(async () => {
      const found = await admin.listRuns({ workflow: 'wake.tick', status: 'completed' });
      return found.length > 0 ? found : null;
    }, 20_000);
    expect(runs[0]!.params.fire).toEqual(expect.any(String));
  });
});

describe.each(['memory', ...testDrivers()] as const)('wake-ups within one process (%s)', (driver) => {
  const database = driver === 'memory' ? null : useTestDatabase(driver);

  it("a run's end wakes waitForResult at once, and a signal the worker's parked run at once, whatever the polls", async () => {
    const spine = await Spine.create({
      database: database === null ? 'memory' : database().dataSource,
      workflows: [quick, parked],
      recoverOnStart: false,
      logger: { warn: () => undefined, error: () => undefined },
      worker: { queues: ['wake-q'], pollIntervalMs: NEVER, parkAfterMs: 0 },
    });
    try {
      const { runId } = await spine.enqueue('wake.quick');
      expect((await spine.waitForResult(runId, { timeoutMs: 20_000, pollIntervalMs: NEVER })).status).toBe('completed');
      const waiting = await spine.enqueue('wake.parked');
      await until(async () => (await spine.getRun(waiting.runId))?.status === 'waiting', 20_000);
      await spine.signal(waiting.runId, 'go', { at: 'now' });
      expect((await spine.waitForResult(waiting.runId, { timeoutMs: 20_000, pollIntervalMs: NEVER })).context.getOutput('done')).toEqual({ got: { at: 'now' } });
    } finally {
      await spine.close();
    }
  });
});
