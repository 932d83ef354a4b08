/**
 * Cancel latency (part of `npm run bench`), on the embedded SQLite store: from the cancel call
 * until the run's own `execute` resolves 'cancelled'.
 *   - same process: `runner.cancel` aborts the running step's signal at once
 *   - another process (a second runner on its own connection and lease owner): observed at the
 *     owner's next step commit (steps of 5 ms), or, during a long step, at its next lease renewal
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Step, Workflow, WorkflowRunner, type WorkflowDefinition } from 'spine-orchestration';
import { createSpineDataSource, sqliteOptions, TypeOrmRunStore } from 'spine-orchestration/typeorm';

const TRIALS = 40;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/** Resolves once `signal` aborts. */
const untilAborted = (signal: AbortSignal): Promise<void> => new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve())));

const longStep = Workflow.define({
  name: 'bench.cancel.long_step',
  steps: [Step.lambda('first', () => ({})), Step.lambda('long', async (_ctx, _c, step) => void (await untilAborted(step.signal))), Step.lambda('never', () => ({}))],
});
const shortSteps = Workflow.define({
  name: 'bench.cancel.short_steps',
  maxSteps: 10_001,
  steps: Array.from({ length: 10_000 }, (_, i) => Step.lambda(`s${i}`, () => new Promise<undefined>((r) => setTimeout(() => r(undefined), 5)))),
});

/** Milliseconds from `cancel()` until the owner's run resolves cancelled, over TRIALS runs. */
async function latencies(owner: WorkflowRunner, canceller: WorkflowRunner, workflow: WorkflowDefinition, startedAfterMs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const runId = `${workflow.name}-${i}-${Date.now()}`;
    const running = owner.execute(workflow, { runId });
    await new Promise((r) => setTimeout(r, startedAfterMs));
    const asked = performance.now();
    await canceller.cancel(runId);
    const result = await running;
    if (result.status !== 'cancelled') throw new Error(`run ${runId} ended ${result.status}`);
    out.push(performance.now() - asked);
  }
  return out;
}

function row(label: string, values: number[]): string {
  return `| ${label.padEnd(72)} | ${`${percentile(values, 50).toFixed(1)} ms`.padStart(9)} | ${`${percentile(values, 99).toFixed(1)} ms`.padStart(9)} |`;
}

export async function cancelBenchmark(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'spine-bench-cancel-'));
  try {
    const file = join(dir, 'spine.db');
    const ownerSource = await createSpineDataSource(sqliteOptions(file)).initialize();
    await ownerSource.runMigrations();
    const otherSource = await createSpineDataSource(sqliteOptions(file)).initialize();
    const owner = new WorkflowRunner({ store: new TypeOrmRunStore(ownerSource), lease: { owner: 'owner', durationMs: 3_000, heartbeatMs: 200 } });
    const other = new WorkflowRunner({ store: new TypeOrmRunStore(otherSource), lease: { owner: 'other' } });
    const lines = [
      `| ${'cancel latency (SQLite; cancel call → run resolves cancelled)'.padEnd(72)} | ${'median'.padStart(9)} | ${'p99'.padStart(9)} |`,
      `| ${'-'.repeat(72)} | ${'-'.repeat(9)} | ${'-'.repeat(9)} |`,
      row('same process, during a long step (its signal aborted)', await latencies(owner, owner, longStep, 5)),
      row('another process, steps of 5 ms (seen at the next step commit)', await latencies(owner, other, shortSteps, 20)),
      row('another process, during a long step (seen at the next renewal, 200 ms)', await latencies(owner, other, longStep, 5)),
    ];
    await otherSource.destroy();
    await ownerSource.destroy();
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
