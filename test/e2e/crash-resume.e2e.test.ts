import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TypeOrmRunStore } from '../../src/persistence';
import { createTestDatabase, testDrivers, type TestDatabase } from '../support/databases';

// every test here spawns processes: seconds each on a loaded 2-core machine
jest.setTimeout(60_000);

const child = join(__dirname, 'support', 'crash-child.cjs');
const KILLS = 30;
const STEPS = 80;

/** Starts the child; resolves with its output once it exits (killed or done). */
function runChild(file: string, log: string, index: number, killAfterReadyMs: number | null): Promise<{ out: string; code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, file, log, String(index)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (killAfterReadyMs !== null && out.includes('ready')) {
        setTimeout(() => proc.kill('SIGKILL'), killAfterReadyMs);
        killAfterReadyMs = null;
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    proc.once('error', reject);
    proc.once('exit', (code, signal) => {
      if (code !== null && code !== 0) reject(new Error(`child ${index} failed (${code}): ${err}`));
      else resolve({ out, code, signal });
    });
  });
}

describe.each(testDrivers())('crash and resume on %s (child processes killed with SIGKILL)', (driver) => {
  let dir: string;
  let db: TestDatabase;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spine-crash-'));
    db = await createTestDatabase(driver);
  }, 60_000);

  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`completes a durable run killed ${KILLS} times at random points, recording each step once and re-running at most the in-flight step`, async () => {
    const options = db.dataSource.options as { url?: string; database?: string };
    const file = driver === 'sqlite' ? String(options.database) : String(options.url);
    const log = join(dir, 'side-effects.log');
    writeFileSync(log, '');
    let seed = 20261126;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

    let killed = 0;
    for (let i = 0; i < KILLS; i++) {
      const outcome = await runChild(file, log, i, Math.floor(random() * 30));
      expect(outcome.out).not.toContain('done');
      if (outcome.signal === 'SIGKILL') killed++;
    }
    expect(killed).toBe(KILLS);
    const final = await runChild(file, log, KILLS, null);
    expect(final.out).toContain('done completed');

    const dataSource = await db.open();
    try {
      const store = new TypeOrmRunStore(dataSource);
      expect(await store.getRun('crash-run')).toMatchObject({ status: 'completed', completedSteps: STEPS, leaseOwner: null });
      const rows = await store.getRunSteps('crash-run');
      const completed = rows.filter((r) => r.status === 'completed');
      expect(completed.map((r) => r.stepName)).toEqual(Array.from({ length: STEPS }, (_, i) => `step_${String(i).padStart(2, '0')}`));
      expect(completed.map((r) => r.output)).toEqual(Array.from({ length: STEPS }, (_, i) => ({ n: i, previous: i === 0 ? null : i - 1 })));

      // The side-effect log: each child continues where the last committed step left off, and a
      // step runs twice only when it was the one in flight when its process was killed.
      const entries = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const [childIndex, step, key] = line.split(' ');
          return { child: Number(childIndex), step: step!, key: key! };
        });
      const byChild = new Map<number, string[]>();
      for (const entry of entries) byChild.set(entry.child, [...(byChild.get(entry.child) ?? []), entry.step]);
      const children = [...byChild.keys()].sort((a, b) => a - b);
      let expectedNext = 0;
      for (const index of children) {
        const steps = byChild.get(index)!.map((s) => Number(s.slice(5)));
        expect(steps).toEqual(Array.from({ length: steps.length }, (_, k) => steps[0]! + k));
        expect(steps[0]).toBeGreaterThanOrEqual(expectedNext - 1);
        expect(steps[0]).toBeLessThanOrEqual(expectedNext);
        expectedNext = steps.at(-1)! + 1;
      }
      expect(expectedNext).toBe(STEPS);
      const reruns = entries.length - STEPS;
      expect(reruns).toBeLessThanOrEqual(killed);
      console.log(`crash test on ${driver}: ${killed} kills, ${STEPS} steps each recorded once, ${reruns} re-runs of an in-flight step`);
      // A step that ran twice kept its idempotency key (same run, step, iteration).
      for (const step of new Set(entries.map((e) => e.step))) {
        expect(new Set(entries.filter((e) => e.step === step).map((e) => e.key)).size).toBe(1);
      }
    } finally {
      await dataSource.destroy();
    }
  }, 300_000);
});
