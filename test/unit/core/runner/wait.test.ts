import { ErrorCategory, InMemoryRunStore, Step, Workflow, WorkflowRunner } from 'spine-orchestration';
import { FakeClock } from 'spine-orchestration/testing';

describe('WorkflowRunner wait steps', () => {
  it('sleeps the given seconds on the runner clock', async () => {
    const clock = new FakeClock({ start: Date.UTC(2026, 0, 9, 12) });
    const wf = Workflow.define({ name: 'w', steps: [Step.wait('rate_limit', { seconds: 90 }), Step.lambda('after', () => ({ now: clock.now() }))] });
    const result = await new WorkflowRunner({ clock }).execute(wf);
    expect(clock.sleeps).toEqual([90_000]);
    expect(result.context.getOutput('rate_limit')).toEqual({ waitedUntil: '2026-01-09T12:01:30.000Z', waitedMs: 90_000 });
    expect(result.context.getOutput('after', 'now')).toBe(Date.UTC(2026, 0, 9, 12, 1, 30));
  });

  it('waits until a time computed from the context, and not at all for a past time', async () => {
    const clock = new FakeClock({ start: Date.UTC(2026, 0, 9, 12) });
    const wf = Workflow.define({
      name: 'until',
      steps: [Step.wait('market_open', { until: (ctx) => new Date(`${ctx.getParam('date')}T14:30:00Z`) }), Step.wait('past', { until: () => '2020-01-01T00:00:00Z' })],
    });
    const result = await new WorkflowRunner({ clock }).execute(wf, { params: { date: '2026-01-09' } });
    expect(clock.sleeps).toEqual([2.5 * 3600_000]);
    expect(result.context.getOutput('past', 'waitedMs')).toBe(0);
  });

  it('fails with VALIDATION when until does not give a date', async () => {
    const wf = Workflow.define({ name: 'bad', steps: [Step.wait('w', { until: () => 'next tuesday' })] });
    const result = await new WorkflowRunner({ clock: new FakeClock() }).execute(wf);
    expect(result).toMatchObject({ status: 'failed', errorCategory: ErrorCategory.VALIDATION });
    expect(result.error).toMatch(/returned next tuesday, which is not a date/);
  });

  it('wakes a cancelled wait at once', async () => {
    const clock = new FakeClock({ autoAdvance: false });
    const controller = new AbortController();
    const wf = Workflow.define({ name: 'c', steps: [Step.wait('long', { seconds: 3600 })] });
    const running = new WorkflowRunner({ clock }).execute(wf, { signal: controller.signal });
    await new Promise((r) => setImmediate(r));
    expect(clock.sleeps).toEqual([3_600_000]);
    controller.abort();
    expect((await running).status).toBe('cancelled');
  });

  it('does not sleep in a dry run', async () => {
    const clock = new FakeClock();
    const result = await new WorkflowRunner({ clock }).execute(Workflow.define({ name: 'd', steps: [Step.wait('w', { seconds: 5 })] }), { dryRun: true });
    expect(clock.sleeps).toEqual([]);
    expect(result.context.getOutput('w', 'dryRun')).toBe(true);
  });
});

describe('WorkflowRunner wait steps asked to give way', () => {
  const wf = Workflow.define({
    name: 'settle',
    steps: [Step.lambda('fetch', () => ({ rows: 3 })), Step.wait('settle', { seconds: 3600 }), Step.lambda('load', (ctx) => ({ loaded: ctx.getOutput('fetch', 'rows') }))],
  });
  const lookup = { get: () => wf, names: () => ['settle'] };
  const started = Date.UTC(2026, 0, 9, 12);
  const untilBegun = async (store: InMemoryRunStore, runId: () => string | undefined) => {
    for (let i = 0; i < 100; i++) {
      const id = runId();
      if (id !== undefined && (await store.getRunSteps(id)).some((s) => s.status === 'waiting')) return id;
      await new Promise((r) => setImmediate(r));
    }
    throw new Error('the wait never began');
  };

  it('stops at once on stopSignal, keeping the wake-up time for the resumed run', async () => {
    const store = new InMemoryRunStore();
    const clock = new FakeClock({ start: started, autoAdvance: false });
    const stop = new AbortController();
    let runId: string | undefined;
    const running = new WorkflowRunner({ store, clock, onEvent: (e) => (runId ??= e.runId) }).execute(wf, { stopSignal: stop.signal });
    await untilBegun(store, () => runId);
    stop.abort();
    const stopped = await running;
    expect(stopped).toMatchObject({ status: 'stopped', completedSteps: ['fetch'] });

    clock.advance(3600_000);
    const resumed = await new WorkflowRunner({ store, clock, workflows: lookup }).resume(stopped.runId);
    expect(resumed).toMatchObject({ status: 'completed', completedSteps: ['fetch', 'settle', 'load'] });
    expect(resumed.context.getOutput('settle', 'waitedUntil')).toBe(new Date(started + 3600_000).toISOString());
  });

  it('hands off at once on handoffSignal: the run stays running with its lease released', async () => {
    const store = new InMemoryRunStore();
    const clock = new FakeClock({ start: started, autoAdvance: false });
    const handoff = new AbortController();
    let runId: string | undefined;
    const running = new WorkflowRunner({ store, clock, onEvent: (e) => (runId ??= e.runId) }).execute(wf, { handoffSignal: handoff.signal });
    await untilBegun(store, () => runId);
    handoff.abort();
    expect(await running).toMatchObject({ status: 'running', completedSteps: ['fetch'] });
    expect((await store.listExpiredRuns(new Date(clock.now()), 10, { hashes: [], anyOf: [wf.name] })).map((r) => r.runId)).toEqual([runId]);
  });
});
