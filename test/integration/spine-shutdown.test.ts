import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryRunStore, LambdaStep, Spine, SpineValidationError, Step, Workflow, WorkflowRunner, type RunEvent, type WorkflowContext } from 'spine-orchestration';
import { IsIn } from 'class-validator';
import { TypeOrmRunStore } from 'spine-orchestration/typeorm';
import { useTestDatabase } from '../support/databases';

/** A gate a step waits at until the test opens it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let reached!: () => void;
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  return { open, arrived, wait: async () => (reached(), opened) };
}

let slow = gate();
const executions: string[] = [];

class TierParams {
  @IsIn(['OTC', 'NMS Tier 1'])
  tier!: string;
}

@Workflow({ name: 'shutdown.weekly', params: TierParams, defaults: { tier: 'OTC' } })
class WeeklyForShutdown {
  @LambdaStep() async ingest(ctx: WorkflowContext) {
    executions.push(`ingest ${ctx.runId}`);
    await slow.wait();
    return { rows: 3 };
  }
  @LambdaStep() load(ctx: WorkflowContext) {
    executions.push(`load ${ctx.runId}`);
    return { loaded: ctx.getOutput('ingest', 'rows') };
  }
}

describe('Spine.start', () => {
  let cwd: string;
  let spine: Spine;
  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'spine-start-'));
    spine = await Spine.create({ cwd, workflows: [WeeklyForShutdown], recoverOnStart: false });
  });
  afterAll(async () => {
    await spine.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('answers once the run is recorded, before it finishes, and hands over the result to await', async () => {
    slow = gate();
    const { runId, result } = await spine.start('shutdown.weekly', { params: { tier: 'NMS Tier 1' } });
    expect(await spine.getRun(runId)).toMatchObject({ runId, status: 'running', params: { tier: 'NMS Tier 1' } });
    slow.open();
    expect(await result).toMatchObject({ runId, status: 'completed' });
  });

  it('refuses invalid params before recording anything', async () => {
    const before = (await spine.listRuns({})).length;
    await expect(spine.start('shutdown.weekly', { params: { tier: 'Pink' } })).rejects.toBeInstanceOf(SpineValidationError);
    expect((await spine.listRuns({})).length).toBe(before);
  });

  it('gives the earlier run for an idempotency key used before', async () => {
    slow = gate();
    slow.open();
    const first = await spine.start('shutdown.weekly', { idempotencyKey: 'otc-week-1' });
    await first.result;
    const again = await spine.start('shutdown.weekly', { idempotencyKey: 'otc-week-1' });
    expect(again.runId).toBe(first.runId);
    expect((await again.result).deduplicated).toBe(true);
  });
});

describe('Spine.close: graceful shutdown', () => {
  it('lets the running step finish, releases the lease, and another Spine continues the run at once', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'spine-handoff-'));
    try {
      slow = gate();
      executions.length = 0;
      const events: RunEvent[] = [];
      const leaving = await Spine.create({ cwd, workflows: [WeeklyForShutdown], recoverOnStart: false, onEvent: (e) => events.push(e) });
      const { runId, result } = await leaving.start('shutdown.weekly');
      await slow.arrived;
      const closing = leaving.close({ timeoutMs: 10_000 });
      await expect(leaving.run('shutdown.weekly')).rejects.toThrow(/this Spine was closed/);
      slow.open();
      await closing;
      expect(await result).toMatchObject({ runId, status: 'running', completedSteps: ['ingest'] });
      expect(events.map((e) => e.type)).toContain('run_handed_off');

      const staying = await Spine.create({ cwd, workflows: [WeeklyForShutdown], recoverOnStart: false, lease: { durationMs: 60_000, heartbeatMs: 20_000 } });
      try {
        const run = await staying.getRun(runId);
        expect(run).toMatchObject({ status: 'running', lastCompletedStep: 'ingest' });
        expect(run!.leaseExpiresAt!.getTime()).toBeLessThan(Date.now());
        const [recovered] = await staying.recover();
        expect(recovered).toMatchObject({ runId, status: 'completed' });
        expect(executions).toEqual([`ingest ${runId}`, `load ${runId}`]);
        expect((await staying.getRunSteps(runId)).map((s) => s.stepName)).toEqual(['ingest', 'load']);
      } finally {
        await staying.close();
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('waits no longer than timeoutMs for a step that does not finish', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'spine-handoff-'));
    try {
      slow = gate();
      const warnings: string[] = [];
      const spine = await Spine.create({ cwd, workflows: [WeeklyForShutdown], recoverOnStart: false, logger: { warn: (_f, m) => warnings.push(m) } });
      const { runId, result } = await spine.start('shutdown.weekly');
      await slow.arrived;
      const started = Date.now();
      await spine.close({ timeoutMs: 100 });
      expect(Date.now() - started).toBeLessThan(5_000);
      slow.open();
      // the step outlived the timeout: the database closed under it, so the run is left for recovery
      await expect(result).rejects.toThrow(/was interrupted at step "ingest": the run store failed \(The database connection is not open\)/);
      // the run's last events could not be saved either: said through the logger, not thrown
      expect(warnings.sort()).toEqual([
        expect.stringMatching(/^1 events of run .* could not be stored: The database connection is not open/),
        expect.stringContaining(`run ${runId} of shutdown.weekly ended with an error`),
      ]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('WorkflowRunner handoffSignal', () => {
  const wf = (stop: AbortController) => Workflow.define({ name: 'handoff', steps: [Step.lambda('a', () => (stop.abort(), { a: 1 })), Step.lambda('b', () => ({ b: 2 }))] });

  it('leaves a recorded run running with its lease released for recovery', async () => {
    const store = new InMemoryRunStore();
    const stop = new AbortController();
    const result = await new WorkflowRunner({ store }).execute(wf(stop), { handoffSignal: stop.signal });
    expect(result).toMatchObject({ status: 'running', completedSteps: ['a'] });
    expect(result.events.at(-1)).toMatchObject({ type: 'run_handed_off' });
    expect((await store.listExpiredRuns(new Date(), 10, { hashes: [], anyOf: ['handoff'] })).map((r) => r.runId)).toEqual([result.runId]);
    const [resumed] = await new WorkflowRunner({ store, workflows: { get: () => wf(new AbortController()), names: () => ['handoff'] } }).recover();
    expect(resumed).toMatchObject({ status: 'completed', completedSteps: ['a', 'b'] });
  });

  it('ends a dry run, which has no lease to release, stopped', async () => {
    const stop = new AbortController();
    const result = await new WorkflowRunner().execute(wf(stop), { handoffSignal: stop.signal, dryRun: true });
    expect(result.status).toBe('stopped');
  });
});

describe('a map step asked to give way (durable items on SQLite)', () => {
  const db = useTestDatabase('sqlite');

  it('starts no more items, lets the running ones finish, and a resume runs only the items not done', async () => {
    const store = new TypeOrmRunStore(db().dataSource);
    const stop = new AbortController();
    const ran: number[] = [];
    const item = Workflow.define({
      name: 'week',
      steps: [
        Step.lambda('load', async (ctx) => {
          const n = ctx.getParam<number>('n');
          ran.push(n);
          if (n === 2) stop.abort();
          await new Promise((r) => setImmediate(r));
          return { n };
        }),
      ],
    });
    const backfill = Workflow.define({
      name: 'backfill',
      steps: [Step.map('weeks', { items: [1, 2, 3, 4, 5, 6], itemParam: 'n', iterator: item, maxConcurrency: 2 }), Step.lambda('summary', () => ({ done: true }))],
    });
    const first = await new WorkflowRunner({ store }).execute(backfill, { stopSignal: stop.signal });
    expect(first).toMatchObject({ status: 'stopped', completedSteps: [] });
    expect(ran).toEqual([1, 2]);
    expect(await store.getRunSteps(first.runId)).toEqual([]);

    const resumed = await new WorkflowRunner({ store, workflows: { get: () => backfill, names: () => ['backfill'] } }).resume(first.runId);
    expect(resumed).toMatchObject({ status: 'completed', completedSteps: ['weeks', 'summary'] });
    expect(ran).toEqual([1, 2, 3, 4, 5, 6]);
    expect(resumed.context.getOutput('weeks', 'results')).toEqual([1, 2, 3, 4, 5, 6].map((n) => ({ n })));
  });
});
