import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TypeOrmRunStore } from '../../src/persistence';
import { createTestDatabase, testDrivers, type TestDatabase } from '../support/databases';

jest.setTimeout(120_000);

const child = join(__dirname, 'support', 'cancel-child.cjs');
const TRIALS = 12;

/** Runs the child; `onLastStep` is called when its last step starts; resolves with the status it printed. */
function runChild(database: string, runId: string, lastStepMs: number, onLastStep: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, JSON.stringify({ database, runId, lastStepMs })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      const before = out;
      out += chunk.toString();
      if (!before.includes('last-started') && out.includes('last-started')) onLastStep();
    });
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    proc.once('exit', (code) => {
      const done = /done (\w+)/.exec(out);
      if (code !== 0 || done === null) reject(new Error(`child failed (${code}): ${out}${err}`));
      else resolve(done[1]!);
    });
  });
}

describe.each(testDrivers())('a cancel that lands during the last step (%s, child processes)', (driver) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(driver);
  }, 60_000);
  afterAll(async () => db?.drop());

  it(`ends the run cancelled whenever the cancel was accepted before the last step committed (${TRIALS} trials)`, async () => {
    const options = db.dataSource.options as { url?: string; database?: string };
    const database = driver === 'sqlite' ? String(options.database) : String(options.url);
    const store = new TypeOrmRunStore(db.dataSource);
    let seed = 20261207;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const tally = { before: 0, cancelled: 0, ambiguous: 0, completedAfter: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const runId = `cancel-race-${driver}-${trial}`;
      const lastStepMs = 20 + Math.floor(random() * 40);
      let accepted: Promise<{ accepted: boolean; lastCommitted: boolean }> | null = null;
      const status = await runChild(database, runId, lastStepMs, () => {
        const delay = Math.floor(random() * lastStepMs * 1.2);
        accepted = new Promise((resolve, reject) => {
          setTimeout(() => {
            store
              .requestCancel(runId)
              .then(async (run) => {
                // the last step's row not there yet after the cancel was taken: the cancel came first, for certain
                const steps = await store.getRunSteps(runId);
                resolve({ accepted: run !== null && run.cancelRequested, lastCommitted: steps.some((s) => s.stepName === 'last' && s.status === 'completed') });
              })
              .catch(reject);
          }, delay);
        });
      });
      const cancel = await accepted!;
      const row = await store.getRun(runId);
      expect(row!.status).toBe(status);
      if (cancel.accepted && !cancel.lastCommitted) {
        tally.before++;
        expect({ trial, status }).toEqual({ trial, status: 'cancelled' });
      } else if (cancel.accepted) tally.ambiguous++;
      if (status === 'cancelled') tally.cancelled++;
      if (status === 'completed' && cancel.accepted) tally.completedAfter++;
    }
    process.stdout.write(
      `cancel race on ${driver}: ${TRIALS} trials; ${tally.before} cancels accepted before the last step committed, all ended cancelled; ` +
        `${tally.ambiguous} accepted around its commit (${tally.completedAfter} of those ended completed); ${tally.cancelled} cancelled in all\n`,
    );
    expect(tally.before).toBeGreaterThan(TRIALS / 3);
  });
});
