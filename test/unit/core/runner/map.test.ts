import { ErrorCategory, Spine, Step, StepResult, Workflow, WorkflowRunner, type RunEvent } from 'spine-orchestration';
import { FakeClock } from 'spine-orchestration/testing';
import { testRunner } from '../../../fixtures/workflows';

const tick = () => new Promise((r) => setImmediate(r));

describe('WorkflowRunner map steps', () => {
  it("holds a map item's own deadline (its workflow's timeoutMs): the item that outlives it fails TIMEOUT at once, the others complete", async () => {
    const clock = new FakeClock({ start: new Date('2026-06-01T00:00:00Z'), autoAdvance: false });
    const slowStarted: number[] = [];
    const item = Workflow.define({
      name: 'deadline.item',
      timeoutMs: 50,
      steps: [
        Step.lambda('work', async (ctx) => {
          const n = ctx.getParam<number>('item');
          if (n === 1) {
            slowStarted.push(n);
            await clock.sleep(200); // deaf to its aborted signal
          }
          return { n };
        }),
      ],
    });
    const wf = Workflow.define({ name: 'deadline.map', steps: [Step.map('fan', { items: [0, 1, 2], iterator: item, toleratedFailureCount: 1 })] });
    const events: RunEvent[] = [];
    const running = new WorkflowRunner({ clock, onEvent: (e) => events.push(e) }).execute(wf);
    for (let i = 0; i < 100 && slowStarted.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    clock.advance(50);
    const result = await running;
    expect(result.status).toBe('partial');
    const failed = result.context.getOutput<{ errors: { index: number; error: string; errorCategory: string }[] }>('fan')!.errors;
    expect(failed).toEqual([expect.objectContaining({ index: 1, errorCategory: 'TIMEOUT', error: expect.stringContaining('workflow "deadline.item" allows an execution 50 ms') })]);
    clock.advance(200);
    for (let i = 0; i < 20 && !events.some((e) => e.type === 'step_late_result'); i++) await new Promise((resolve) => setImmediate(resolve));
    expect(events.filter((e) => e.type === 'step_late_result').map((e) => e.step)).toEqual(['work']);
  });

  it('runs every item with bounded concurrency and keeps results in item order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const perTier = Workflow.define({
      name: 'per_tier',
      steps: [
        Step.lambda('work', async (ctx) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          const n = ctx.getParam<number>('n');
          for (let i = 0; i < (n % 3) + 1; i++) await tick();
          inFlight--;
          return { square: n * n, index: ctx.getParam('i') };
        }),
      ],
    });
    const wf = Workflow.define({
      name: 'fan',
      steps: [Step.map('per_item', { itemsFrom: (ctx) => ctx.getParam('ns', []), itemParam: 'n', indexParam: 'i', iterator: perTier, maxConcurrency: 3 })],
    });
    const result = await testRunner().runner.execute(wf, { params: { ns: [5, 1, 4, 2, 3, 0, 7] } });
    expect(result.status).toBe('completed');
    expect(maxInFlight).toBe(3);
    const output = result.context.getOutput<{ results: { square: number; index: number }[]; succeeded: number; failed: number }>('per_item');
    expect(output.results.map((r) => r.square)).toEqual([25, 1, 16, 4, 9, 0, 49]);
    expect(output.results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(output).toMatchObject({ succeeded: 7, failed: 0, total: 7 });
    expect(result.steps[0]!.quality).toMatchObject({ recordCount: 7, validCount: 7 });
  });

  it('takes items from a prior output with itemsPath and runs a single-step iterator', async () => {
    const wf = Workflow.define({
      name: 'path',
      steps: [
        Step.lambda('discover', () => ({ calendar: { exchanges: ['XNYS', 'XNAS'] } })),
        Step.map('sync', { itemsPath: 'outputs.discover.calendar.exchanges', itemParam: 'exchange', iterator: Step.lambda('sync_one', (ctx) => ({ synced: ctx.getParam('exchange') })) }),
      ],
    });
    const result = await testRunner().runner.execute(wf);
    expect(result.context.getOutput('sync', 'results')).toEqual([{ synced: 'XNYS' }, { synced: 'XNAS' }]);
  });

  it("runs the design's unnamed inline iterator workflow (iterator=Workflow(steps=[...])), named after its workflow and map step", async () => {
    const wf = Workflow.define({
      name: 'market.multi_source',
      steps: [
        Step.map('fetch_all_sources', {
          items: ['bloomberg', 'refinitiv'],
          itemParam: 'source_name',
          iterator: { steps: [Step.lambda('fetch', (ctx) => ({ source: ctx.getParam('source_name') }))] },
        }),
      ],
    });
    expect((wf.steps[0] as { iterator: { name: string } }).iterator.name).toBe('market.multi_source.fetch_all_sources');
    const result = await testRunner().runner.execute(wf);
    expect(result.context.getOutput('fetch_all_sources', 'results')).toEqual([{ source: 'bloomberg' }, { source: 'refinitiv' }]);
    // one registered like any iterator: a Spine starts with it
    const spine = await Spine.create({ database: 'memory', workflows: [wf], recoverOnStart: false });
    expect(spine.workflows().map((w) => w.name)).toEqual(['market.multi_source', 'market.multi_source.fetch_all_sources']);
    await spine.close();
  });

  it("takes the design's bare items_path as a param's name: an earlier step's context update", async () => {
    const wf = Workflow.define({
      name: 'bare-path',
      steps: [
        Step.lambda('detect', () => StepResult.ok({ sources: 2 }, { contextUpdates: { sources_to_sync: ['XNYS', 'XLON'] } })),
        Step.map('sync', { itemsPath: 'sources_to_sync', itemParam: 'exchange', iterator: Step.lambda('sync_one', (ctx) => ({ synced: ctx.getParam('exchange') })) }),
      ],
    });
    expect((wf.steps[1] as { itemsPath: string }).itemsPath).toBe('params.sources_to_sync');
    const result = await testRunner().runner.execute(wf);
    expect(result.context.getOutput('sync', 'results')).toEqual([{ synced: 'XNYS' }, { synced: 'XLON' }]);
  });

  it('gives items the parent params, the iterator defaults below them, and prior outputs', async () => {
    const child = Workflow.define({
      name: 'child',
      defaults: { mode: 'child-default', tier: 'child-tier' },
      steps: [Step.lambda('read', (ctx) => ({ mode: ctx.getParam('mode'), tier: ctx.getParam('tier'), from: ctx.getOutput('seed', 'v') }))],
    });
    const wf = Workflow.define({
      name: 'parent',
      steps: [Step.lambda('seed', () => ({ v: 42 })), Step.map('m', { items: ['a'], iterator: child })],
    });
    const result = await testRunner().runner.execute(wf, { params: { tier: 'OTC' } });
    expect(result.context.getOutput('m', 'results')).toEqual([{ mode: 'child-default', tier: 'OTC', from: 42 }]);
  });

  it('fails when failures exceed the tolerance, listing the failed items', async () => {
    const iterator = Step.lambda('maybe', (ctx) => (ctx.getParam<number>('item') % 2 === 1 ? StepResult.fail(`odd ${ctx.getParam('item')}`, { category: ErrorCategory.DATA_QUALITY }) : { ok: true }));
    const wf = Workflow.define({ name: 'tol', steps: [Step.map('m', { items: [0, 1, 2, 3], iterator, maxConcurrency: 1 })] });
    const result = await testRunner().runner.execute(wf);
    expect(result).toMatchObject({ status: 'failed', errorStep: 'm', errorCategory: ErrorCategory.DATA_QUALITY });
    expect(result.error).toMatch(/^map step "m": 1 of 4 items failed \(tolerated: 0\), 2 not run \(stopped once the map failed\); first: item 1 \(1\) at step "maybe": odd 1$/);
    const output = result.steps[0];
    expect(output?.status).toBe('failed');
  });

  it('goes on within the tolerated percentage and reports the errors in its output', async () => {
    const iterator = Step.lambda('maybe', (ctx) => (ctx.getParam<number>('item') === 2 ? StepResult.fail('two is bad') : { n: ctx.getParam('item') }));
    const wf = Workflow.define({ name: 'tol2', steps: [Step.map('m', { items: [0, 1, 2, 3], iterator, toleratedFailurePercentage: 25 })] });
    const result = await testRunner().runner.execute(wf);
    expect(result.status).toBe('partial');
    expect(result.context.getOutput('m')).toEqual({
      results: [{ n: 0 }, { n: 1 }, null, { n: 3 }],
      total: 4,
      succeeded: 3,
      failed: 1,
      errors: [{ index: 2, item: 2, step: 'maybe', error: 'two is bad', errorCategory: ErrorCategory.INTERNAL }],
    });
  });

  it('runs an iterator named by workflow through the runner lookup, and reports an unknown one up front', async () => {
    const weekly = Workflow.define({ name: 'finra.weekly', steps: [Step.lambda('w', (ctx) => ({ week: ctx.getParam('week') }))] });
    const workflows = new Map([[weekly.name, weekly]]);
    const lookup = { get: (n: string) => workflows.get(n), names: () => [...workflows.keys()] };
    const backfill = Workflow.define({ name: 'backfill', steps: [Step.map('weeks', { items: ['w1', 'w2'], itemParam: 'week', iterator: 'finra.weekly' })] });
    const result = await new WorkflowRunner({ workflows: lookup }).execute(backfill);
    expect(result.context.getOutput('weeks', 'results')).toEqual([{ week: 'w1' }, { week: 'w2' }]);
    const bad = Workflow.define({ name: 'bad', steps: [Step.map('weeks', { items: [], iterator: 'nope' })] });
    await expect(new WorkflowRunner({ workflows: lookup }).execute(bad)).rejects.toThrow('Workflow "bad": step "weeks" iterator: workflow "nope" is not registered. Known workflows: finra.weekly.');
  });

  it('fails with VALIDATION when the items are not an array', async () => {
    const wf = Workflow.define({ name: 'na', steps: [Step.map('m', { itemsPath: 'params.tiers', iterator: Step.lambda('x', () => ({})) })] });
    const result = await testRunner().runner.execute(wf, { params: { tiers: 'OTC' } });
    expect(result).toMatchObject({ status: 'failed', errorCategory: ErrorCategory.VALIDATION });
    expect(result.error).toBe('map step "m": the items (itemsPath "params.tiers") are not an array (got string)');
  });

  it('completes an empty map at once', async () => {
    const wf = Workflow.define({ name: 'empty', steps: [Step.map('m', { items: [], iterator: Step.lambda('x', () => ({})) })] });
    const result = await testRunner().runner.execute(wf);
    expect(result.context.getOutput('m')).toMatchObject({ results: [], total: 0, succeeded: 0 });
  });

  it('gives every item a stable child run id derived from the map step key', async () => {
    const ids: string[] = [];
    const wf = Workflow.define({
      name: 'ids',
      steps: [
        Step.map('m', {
          items: [10, 20],
          iterator: Step.lambda('x', (ctx) => {
            ids.push(ctx.runId);
          }),
        }),
      ],
    });
    const { runner, events } = testRunner();
    const result = await runner.execute(wf);
    expect(ids.sort()).toEqual([`${result.runId}:m:1:0`, `${result.runId}:m:1:1`]);
    const childEvents = events.filter((e) => e.parentRunId === result.runId);
    expect(childEvents.map((e) => `${e.runId}:${e.type}`)).toContain(`${result.runId}:m:1:0:step_completed`);
    expect(result.events.every((e) => e.runId === result.runId)).toBe(true);
    expect(await runner.store.history.listRuns()).toHaveLength(1);
  });
});

describe('WorkflowRunner map progress', () => {
  it('reports items done/total to onEvent as map_progress, without keeping or storing those events', async () => {
    const item = Workflow.define({ name: 'item', steps: [Step.lambda('work', (ctx) => (ctx.getParam<number>('n') === 2 ? StepResult.fail('bad item') : { ok: true }))] });
    const wf = Workflow.define({
      name: 'fan_progress',
      steps: [Step.map('items', { items: [1, 2, 3, 4], itemParam: 'n', iterator: item, maxConcurrency: 1, toleratedFailureCount: 1 })],
    });
    const seen: string[] = [];
    const runner = new WorkflowRunner({
      onEvent: (event) => {
        if (event.type === 'map_progress') seen.push(`${event.step} ${event.done}/${event.total} failed ${event.failed}`);
      },
    });
    const result = await runner.execute(wf);
    expect(result.status).toBe('partial');
    expect(seen).toEqual(['items 0/4 failed 0', 'items 1/4 failed 0', 'items 2/4 failed 1', 'items 3/4 failed 1', 'items 4/4 failed 1']);
    expect(result.events.filter((e) => e.type === 'map_progress')).toEqual([]);
  });
});

describe('WorkflowRunner map steps that fail past their tolerance', () => {
  it('start no item after the failure, abort the items in flight and wait for them before reporting the failure', async () => {
    const log: string[] = [];
    const signals = new Map<number, AbortSignal>();
    const item = Workflow.define({
      name: 'slow_item',
      steps: [
        Step.lambda('work', async (ctx, _config, step) => {
          const n = ctx.getParam<number>('n');
          log.push(`start ${n}`);
          if (n === 3) return StepResult.fail('source down for item 3');
          signals.set(n, step.signal);
          // ignores its signal for a while, as real work often does
          await new Promise((r) => setTimeout(r, 20));
          log.push(`end ${n}`);
          return { n };
        }),
      ],
    });
    const wf = Workflow.define({ name: 'halting', steps: [Step.map('items', { items: Array.from({ length: 12 }, (_, i) => i), itemParam: 'n', iterator: item, maxConcurrency: 3 })] });
    const result = await new WorkflowRunner().execute(wf);
    log.push('run resolved');
    expect(result).toMatchObject({ status: 'failed', errorStep: 'items' });
    expect(result.error).toMatch(/^map step "items": 1 of 12 items failed \(tolerated: 0\), \d+ not run \(stopped once the map failed\); first: item 3 \(3\) at step "work": source down for item 3$/);
    // items 4 and 5 were in flight when item 3 failed: aborted, and awaited before the run resolved
    expect(log.indexOf('start 3')).toBeLessThan(log.indexOf('run resolved'));
    expect(
      log
        .filter((l) => l.startsWith('start'))
        .map((l) => Number(l.slice(6)))
        .every((n) => n <= 5),
    ).toBe(true);
    for (const n of [4, 5]) {
      if (!signals.has(n)) continue;
      expect(signals.get(n)!.aborted).toBe(true);
      expect(log.indexOf(`end ${n}`)).toBeLessThan(log.indexOf('run resolved'));
    }
    await new Promise((r) => setTimeout(r, 40));
    expect(log.at(-1)).toBe('run resolved'); // nothing started or ended after the run resolved
  });
});
