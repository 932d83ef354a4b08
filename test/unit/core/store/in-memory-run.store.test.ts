import { InMemoryRunStore, Step, StepResult, Workflow, WorkflowRunner, workflowHash } from 'spine-orchestration';
import { FakeClock } from 'spine-orchestration/testing';
import { failingStep, valueStep } from '../../../fixtures/workflows';

describe('InMemoryRunStore', () => {
  const wf = Workflow.define({ name: 'stored', domain: 'demo', steps: [Step.lambda('a', () => StepResult.ok({ n: 1 }, { contextUpdates: { x: 1 } })), valueStep('b')] });

  it('records the run with its counters, timings and every step', async () => {
    const store = new InMemoryRunStore();
    const runner = new WorkflowRunner({ store });
    const result = await runner.execute(wf, { params: { date: 'd' }, batchId: 'batch-1', partition: { tier: 'OTC' } });
    const run = await store.getRun(result.runId);
    expect(run).toMatchObject({
      runId: result.runId,
      workflowName: 'stored',
      domain: 'demo',
      workflowHash: workflowHash(wf),
      status: 'completed',
      batchId: 'batch-1',
      partition: { tier: 'OTC' },
      params: { date: 'd' },
      totalSteps: 2,
      executedSteps: 2,
      completedSteps: 2,
      failedSteps: 0,
      lastCompletedStep: 'b',
      errorStep: null,
    });
    expect(run!.finishedAt).toBeInstanceOf(Date);
    const steps = await store.getRunSteps(result.runId);
    expect(steps.map((s) => [s.stepName, s.status, s.iteration, s.attempt])).toEqual([
      ['a', 'completed', 1, 1],
      ['b', 'completed', 1, 1],
    ]);
    expect(steps[0]).toMatchObject({ output: { n: 1 }, contextUpdates: { x: 1 }, idempotencyKey: `${result.runId}:a:1` });
    expect(Object.isFrozen(run)).toBe(true);
  });

  it('records a failed run with its error', async () => {
    const store = new InMemoryRunStore();
    const result = await new WorkflowRunner({ store }).execute(Workflow.define({ name: 'bad', steps: [failingStep('x')] }));
    expect(await store.getRun(result.runId)).toMatchObject({ status: 'failed', errorStep: 'x', error: 'x broke', errorCategory: 'INTERNAL', failedSteps: 1 });
  });

  it('pages by keyset (before a run: no run twice, none missed, even with equal start times), filters by trigger, partition and until, and counts runs and quality steps', async () => {
    const clock = new FakeClock({ start: Date.UTC(2026, 0, 1) });
    const store = new InMemoryRunStore();
    const runner = new WorkflowRunner({ store, clock });
    const gated = Workflow.define({
      name: 'gated',
      steps: [
        Step.lambda('load', (ctx) => StepResult.ok({}, { quality: { recordCount: 10, validCount: ctx.getParam<number>('valid') ?? 10 } }), { quality: { minValidRate: 0.9 }, qualityMode: 'warn' }),
      ],
    });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      // pairs of runs start in the same millisecond: the run id breaks the tie
      if (i % 2 === 0) clock.advance(60_000);
      ids.push((await runner.execute(gated, { partition: { tier: i < 3 ? 'OTC' : 'ATS', week: `w${i}` }, triggerSource: i < 2 ? 'cli' : 'api', params: { valid: i === 4 ? 5 : 10 } })).runId);
    }
    const newestFirst = (await store.listRuns()).map((r) => r.runId);
    expect(new Set(newestFirst)).toEqual(new Set(ids));
    const paged: string[] = [];
    let page = await store.listRuns({ limit: 3 });
    while (page.length > 0) {
      paged.push(...page.map((r) => r.runId));
      const last = page[page.length - 1]!;
      page = await store.listRuns({ limit: 3, before: { startedAt: last.startedAt, runId: last.runId } });
    }
    expect(paged).toEqual(newestFirst);
    expect((await store.listRuns({ trigger: 'cli' })).map((r) => r.runId).sort()).toEqual(ids.slice(0, 2).sort());
    expect(await store.listRuns({ partition: 'tier=ATS' })).toHaveLength(4);
    expect((await store.listRuns({ partition: 'week=w5' })).map((r) => r.runId)).toEqual([ids[5]]);
    expect(await store.listRuns({ until: new Date(Date.UTC(2026, 0, 1, 0, 2)) })).toHaveLength(2); // before, not at
    expect(await store.countRuns(new Date(0))).toEqual([expect.objectContaining({ workflow: 'gated', status: 'completed', count: 7 })]);
    expect(await store.listQualitySteps(new Date(0))).toEqual([expect.objectContaining({ workflow: 'gated', step: 'load', executions: 7, failed: 1, passed: 6 })]);
  });

  it('drops the oldest finished runs beyond maxRuns', async () => {
    const store = new InMemoryRunStore({ maxRuns: 3 });
    const runner = new WorkflowRunner({ store });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await runner.execute(wf)).runId);
    const kept = (await store.listRuns()).map((r) => r.runId);
    expect(kept.sort()).toEqual(ids.slice(2).sort());
    expect(await store.getRun(ids[0]!)).toBeNull();
  });

  it('drops finished runs to stay within maxStepRecords', async () => {
    const store = new InMemoryRunStore({ maxStepRecords: 5 });
    const runner = new WorkflowRunner({ store });
    for (let i = 0; i < 4; i++) await runner.execute(wf);
    expect(await store.listRuns()).toHaveLength(2);
  });
});
