import { ErrorCategory, Step, StepResult, Workflow, WorkflowRunner } from 'spine-orchestration';
import { TABLES, TypeOrmRunStore } from '../../../src/persistence';
import { testDrivers, useTestDatabase, type TestDatabase } from '../../support/databases';

describe.each(testDrivers())('TypeOrmRunStore on %s', (driver) => {
  const database = useTestDatabase(driver);
  let db: TestDatabase;
  beforeAll(() => {
    db = database();
  });

  const etl = (state: { broken: boolean; calls: string[] }) =>
    Workflow.define({
      name: 'durable.etl',
      domain: 'test',
      steps: [
        Step.lambda('fetch', () => {
          state.calls.push('fetch');
          return StepResult.ok({ rows: [1, 2, 3], label: 'ünïcødé ✓' }, { contextUpdates: { fetched: true }, quality: { recordCount: 3, validCount: 2, nullCount: 1 } });
        }),
        Step.choice('route', { when: (ctx) => ctx.getParam('fetched') === true, then: 'load' }),
        Step.lambda('skipped_by_route', () => ({})),
        Step.lambda('load', (ctx) => {
          state.calls.push('load');
          if (state.broken) throw new Error('target table locked');
          return { loaded: ctx.getOutput<number[]>('fetch', 'rows', []).length };
        }),
      ],
    });

  it('leaves no schema drift after the migration', async () => {
    const log = await db.dataSource.driver.createSchemaBuilder().log();
    expect(log.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('records the run, every step, its checkpoints and counters, readable from another connection', async () => {
    const state = { broken: false, calls: [] as string[] };
    const runner = new WorkflowRunner({ store: new TypeOrmRunStore(db.dataSource) });
    const result = await runner.execute(etl(state), { params: { date: '2026-01-09' }, batchId: 'b-1', partition: { tier: 'OTC', week: '2026-01-09' } });
    expect(result.status).toBe('completed');

    const other = await db.open();
    try {
      const store = new TypeOrmRunStore(other);
      const run = await store.getRun(result.runId);
      expect(run).toMatchObject({
        runId: result.runId,
        workflowName: 'durable.etl',
        status: 'completed',
        params: { date: '2026-01-09' },
        partition: { tier: 'OTC', week: '2026-01-09' },
        batchId: 'b-1',
        totalSteps: 4,
        executedSteps: 3,
        completedSteps: 3,
        skippedSteps: 1,
        lastCompletedStep: 'load',
      });
      expect(run!.startedAt).toBeInstanceOf(Date);
      expect(run!.finishedAt!.getTime()).toBeGreaterThanOrEqual(run!.startedAt.getTime());
      const steps = await store.getRunSteps(result.runId);
      expect(steps.map((s) => `${s.stepName}:${s.status}`)).toEqual(['fetch:completed', 'route:completed', 'skipped_by_route:skipped', 'load:completed']);
      expect(steps[0]).toMatchObject({
        output: { rows: [1, 2, 3], label: 'ünïcødé ✓' },
        contextUpdates: { fetched: true },
        quality: { recordCount: 3, validCount: 2, nullCount: 1, passed: true },
        idempotencyKey: `${result.runId}:fetch:1`,
      });
      expect(steps[1]!.nextStep).toBe('load');
      // the completed step rows are the checkpoints: no snapshot rows unless the strategy asks
      expect((await new TypeOrmRunStore(other).listCheckpoints(result.runId)).map((c) => [c.stepName, c.executedSteps, c.hasContext])).toEqual([
        ['fetch', 1, false],
        ['route', 2, false],
        ['load', 3, false],
      ]);
      expect(await other.query(`SELECT id FROM ${TABLES.checkpoints} WHERE run_id = ?`, [result.runId])).toEqual([]);
      // events the step rows tell (start, end, skip) are not stored again
      const events = await store.getRunEvents(result.runId);
      expect(events.map((e) => `${e.type}${e.step ? `:${e.step}` : ''}`)).toEqual(['run_started', 'run_completed']);
      const quality = (await other.query(`SELECT record_count, valid_count, null_count FROM ${TABLES.steps} WHERE run_id = ? AND step_name = 'fetch'`, [result.runId])) as Record<string, unknown>[];
      expect(quality.map((q) => [Number(q.record_count), Number(q.valid_count), Number(q.null_count)])).toEqual([[3, 2, 1]]);
    } finally {
      await other.destroy();
    }
  });

  it('resumes a failed run from another connection: completed steps are not re-run and their outputs come from the database', async () => {
    const state = { broken: true, calls: [] as string[] };
    const failed = await new WorkflowRunner({ store: new TypeOrmRunStore(db.dataSource) }).execute(etl(state));
    expect(failed).toMatchObject({ status: 'failed', errorStep: 'load', error: 'target table locked' });

    state.broken = false;
    const other = await db.open();
    try {
      const store = new TypeOrmRunStore(other);
      const resumed = await new WorkflowRunner({ store }).resume(failed.runId, { workflow: etl(state) });
      expect(resumed.status).toBe('completed');
      expect(state.calls).toEqual(['fetch', 'load', 'load']);
      expect(resumed.context.getOutput('load')).toEqual({ loaded: 3 });
      expect(resumed.context.getOutput('fetch', 'label')).toBe('ünïcødé ✓');
      expect(await store.getRun(failed.runId)).toMatchObject({ status: 'completed', error: null, completedSteps: 3 });
      const steps = await store.getRunSteps(failed.runId);
      expect(steps.filter((s) => s.stepName === 'fetch')).toHaveLength(1);
    } finally {
      await other.destroy();
    }
  });

  class Price {
    constructor(readonly amount = 1) {}
  }
  it.each([
    ['a BigInt', () => ({ total: 10n }), 'output.total is a BigInt, which JSON cannot hold (use a string: value.toString())'],
    ['a function', () => ({ callback: () => 1 }), 'output.callback is a function, which JSON drops'],
    [
      'a cycle',
      () => {
        const node: Record<string, unknown> = { name: 'loop' };
        node.self = node;
        return node;
      },
      'output.self refers back to an object that contains it (a cycle)',
    ],
    ['a Date deep inside', () => ({ rows: [{ id: 1 }, { id: 2, loadedAt: new Date() }] }), 'output.rows[1].loadedAt is a Date, which JSON turns into a string'],
    ['a Map', () => ({ byTier: new Map([['OTC', 1]]) }), 'output.byTier is a Map, which JSON turns into {}'],
    ['a Set', () => ({ symbols: new Set(['AAPL']) }), 'output.symbols is a Set, which JSON turns into {}'],
    ['NaN', () => ({ rate: Number.NaN }), 'output.rate is NaN, which JSON stores as null'],
    ['Infinity', () => ({ 'max rate': Number.POSITIVE_INFINITY }), 'output["max rate"] is Infinity, which JSON stores as null'],
    ['undefined in an array', () => ({ values: [1, undefined] }), 'output.values[1] is undefined in an array, which JSON stores as null'],
    ['a typed array', () => ({ blob: new Uint8Array([1, 2]) }), 'output.blob is a Uint8Array'],
    ['a class instance', () => ({ price: new Price() }), 'output.price is an instance of Price, which comes back from JSON as a plain object without its class'],
  ])('fails a step whose output holds %s, clearly, and keeps the run resumable', async (_what, output, message) => {
    let bad = true;
    const wf = Workflow.define({
      name: 'durable.bad_output',
      steps: [Step.lambda('ok', () => ({ fine: true })), Step.lambda('bad', () => (bad ? (output() as never) : { fixed: true })), Step.lambda('after', () => ({}))],
    });
    const runner = new WorkflowRunner({ store: new TypeOrmRunStore(db.dataSource) });
    const failed = await runner.execute(wf);
    expect(failed).toMatchObject({ status: 'failed', errorStep: 'bad', errorCategory: ErrorCategory.VALIDATION });
    expect(failed.error).toContain(`cannot be stored: ${message}`);
    expect(failed.error).toMatch(/^the output of step "bad" cannot be stored/);
    bad = false;
    const resumed = await runner.resume(failed.runId, { workflow: wf });
    expect(resumed.status).toBe('completed');
    expect(resumed.context.getOutput('bad')).toEqual({ fixed: true });
  });

  it('returns the earlier run for a repeated idempotency key across runners', async () => {
    const state = { broken: false, calls: [] as string[] };
    const key = `idem-${Date.now()}`;
    const first = await new WorkflowRunner({ store: new TypeOrmRunStore(db.dataSource) }).execute(etl(state), { idempotencyKey: key });
    const other = await db.open();
    try {
      const second = await new WorkflowRunner({ store: new TypeOrmRunStore(other) }).execute(etl(state), { idempotencyKey: key });
      expect(second).toMatchObject({ deduplicated: true, runId: first.runId, status: 'completed' });
      expect(second.context.getOutput('load')).toEqual({ loaded: 3 });
      expect(state.calls).toEqual(['fetch', 'load']);
    } finally {
      await other.destroy();
    }
  });

  it('records a one-step map item as one row (no run of its own): on resume only unfinished items run again', async () => {
    const calls = new Map<number, number>();
    let failItem3 = true;
    const item = Workflow.define({
      name: 'durable.item',
      steps: [
        Step.lambda('work', (ctx) => {
          const n = ctx.getParam<number>('n');
          calls.set(n, (calls.get(n) ?? 0) + 1);
          if (n === 3 && failItem3) throw new Error('item 3 upstream missing');
          return { square: n * n };
        }),
      ],
    });
    const wf = Workflow.define({
      name: 'durable.map',
      steps: [Step.map('fan', { items: [0, 1, 2, 3, 4, 5], itemParam: 'n', iterator: item, maxConcurrency: 2, toleratedFailureCount: 0 }), Step.lambda('after', () => ({}))],
    });
    const store = new TypeOrmRunStore(db.dataSource);
    const runner = new WorkflowRunner({ store });
    const failed = await runner.execute(wf);
    expect(failed).toMatchObject({ status: 'failed', errorStep: 'fan' });
    expect(await store.listRuns({ parentRunId: failed.runId })).toEqual([]);
    const rows = await store.listMapItems(failed.runId, 'fan', 1);
    expect(rows.find((r) => r.index === 3)).toMatchObject({ status: 'failed', error: 'item 3 upstream missing', errorStep: 'work', errorCategory: 'INTERNAL', epoch: 1 });
    expect(rows.filter((r) => r.status === 'completed').every((r) => (r.output as { square: number }).square === r.index ** 2)).toBe(true);
    expect((await store.listRuns({ workflow: 'durable.item' })).length).toBe(0);

    failItem3 = false;
    const startedBefore = new Map(calls);
    const resumed = await runner.resume(failed.runId, { workflow: wf });
    expect(resumed.status).toBe('completed');
    expect(resumed.context.getOutput('fan', 'results')).toEqual([0, 1, 4, 9, 16, 25].map((square) => ({ square })));
    for (const [n, count] of calls) {
      const before = startedBefore.get(n) ?? 0;
      expect(count - before).toBe(n === 3 || before === 0 ? 1 : 0);
    }
    expect((await store.listMapItems(failed.runId, 'fan', 1)).map((r) => `${r.index}:${r.status}`)).toEqual(['0:completed', '1:completed', '2:completed', '3:completed', '4:completed', '5:completed']);
  });

  it('records the items of a multi-step iterator as child runs: on resume only unfinished items run again', async () => {
    const calls: string[] = [];
    let failItem1 = true;
    const item = Workflow.define({
      name: 'durable.item2',
      steps: [
        Step.lambda('fetch', (ctx) => (calls.push(`fetch${ctx.getParam<number>('n')}`), { n: ctx.getParam<number>('n') })),
        Step.lambda('load', (ctx) => {
          const n = ctx.getParam<number>('n');
          calls.push(`load${n}`);
          if (n === 1 && failItem1) throw new Error('item 1 target locked');
          return { loaded: n };
        }),
      ],
    });
    const wf = Workflow.define({ name: 'durable.map2', steps: [Step.map('fan', { items: [0, 1, 2], itemParam: 'n', iterator: item, maxConcurrency: 1 })] });
    const store = new TypeOrmRunStore(db.dataSource);
    const runner = new WorkflowRunner({ store });
    const failed = await runner.execute(wf);
    expect(failed).toMatchObject({ status: 'failed', errorStep: 'fan' });
    expect((await store.listRuns({ parentRunId: failed.runId })).map((c) => c.status).sort()).toEqual(['completed', 'failed']);
    expect(await store.listMapItems(failed.runId, 'fan', 1)).toEqual([]);
    failItem1 = false;
    calls.length = 0;
    const resumed = await runner.resume(failed.runId, { workflow: wf });
    expect(resumed.context.getOutput('fan', 'results')).toEqual([{ loaded: 0 }, { loaded: 1 }, { loaded: 2 }]);
    // item 1 resumes at its failed step; item 0 is not run again
    expect(calls).toEqual(['load1', 'fetch2', 'load2']);
  });

  it('fails a step whose output is over maxOutputBytes', async () => {
    const wf = Workflow.define({ name: 'durable.big', steps: [Step.lambda('big', () => ({ blob: 'x'.repeat(5000) }))] });
    const runner = new WorkflowRunner({ store: new TypeOrmRunStore(db.dataSource, { maxOutputBytes: 1024 }) });
    const result = await runner.execute(wf);
    expect(result.errorCategory).toBe(ErrorCategory.VALIDATION);
    expect(result.error).toBe('the output of step "big" is 4.9 KiB, over the 1.0 KiB limit (maxOutputBytes); store large data elsewhere and return a reference.');
  });
});
