/**
 * Schedules under clock skew: worker processes whose clocks run 20 s fast and 20 s slow fire a
 * one-second schedule together, the fast one killed and restarted half-way. The schedulers decide
 * by the database's clock, so (asserted from the fire rows, watched by the test process on the
 * machine's clock) no fire is recorded ahead of its time, none is skipped (every second from the
 * first fire to the last has its run) and none twice.
 */
import { TypeOrmRunStore } from '../../src/persistence';
import { createTestDatabase, testDrivers, type TestDatabase } from '../support/databases';
import { endChildren, startChild, type Child } from './support/chaos';
import { join } from 'node:path';

jest.setTimeout(90_000);

const SKEW_CHILD = join(__dirname, 'support', 'skew-child.cjs');
const SKEW_MS = 20_000;
const PHASE_MS = 5_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each(testDrivers())('schedules under clock skew on %s (worker processes ±20 s)', (driver) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(driver);
  }, 60_000);
  afterAll(async () => {
    endChildren();
    await db?.drop();
  });

  it('fires every second once, none early and none skipped, while one worker runs 20 s fast (killed and restarted) and one 20 s slow', async () => {
    const options = db.dataSource.options as { database?: string; url?: string };
    const database = driver === 'sqlite' ? options.database! : options.url!;
    const store = new TypeOrmRunStore(db.dataSource);
    const start = (skewMs: number): Child => startChild({ database, skewMs }, SKEW_CHILD);
    let earliest = Number.POSITIVE_INFINITY;
    let early = 0;
    let watching = true;
    // the test process's clock is the machine's (and the database's): a fire ahead of it was fired early
    const watch = (async () => {
      while (watching) {
        const now = Date.now();
        const fires = await store.listFires('skew.every-second', new Date(now - 600_000), new Date(now + 600_000));
        for (const fire of fires) {
          if (fire.fireTime.getTime() > Date.now() + 1_000) early++;
          earliest = Math.min(earliest, fire.fireTime.getTime());
        }
        await sleep(100);
      }
    })();

    const slow = start(-SKEW_MS);
    let fast = start(SKEW_MS);
    await Promise.all([slow.printed('ready', 30_000), fast.printed('ready', 30_000)]);
    await sleep(PHASE_MS);
    fast.proc.kill('SIGKILL');
    await fast.exited;
    await sleep(1_500);
    fast = start(SKEW_MS);
    await fast.printed('ready', 30_000);
    await sleep(PHASE_MS);
    const endAt = Date.now();
    watching = false;
    await watch;
    fast.proc.kill('SIGTERM');
    slow.proc.kill('SIGTERM');
    await Promise.all([fast.exited, slow.exited]);

    const fires = await store.listFires('skew.every-second', new Date(earliest), new Date(endAt - 1_500));
    const times = fires.map((f) => f.fireTime.getTime());
    const expected = Array.from({ length: Math.floor((times[times.length - 1]! - times[0]!) / 1000) + 1 }, (_, i) => times[0]! + i * 1000);
    const missing = expected.filter((t) => !times.includes(t)).map((t) => new Date(t).toISOString());
    const runs = new Set(fires.map((f) => f.runId));
    process.stdout.write(
      `clock skew on ${driver}: ${fires.length} fires over ${((endAt - earliest) / 1000).toFixed(1)} s with workers at +${SKEW_MS / 1000} s (killed once) and -${SKEW_MS / 1000} s; ${early} early, ${missing.length} skipped, ${fires.length - runs.size} duplicate runs\n`,
    );
    expect(early).toBe(0);
    expect(missing).toEqual([]);
    expect(runs.size).toBe(fires.length);
    expect(fires.length).toBeGreaterThanOrEqual(8);
  });
});
