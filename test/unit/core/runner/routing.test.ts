import { ErrorCategory, Step, StepResult, Workflow } from 'spine-orchestration';
import { testRunner, valueStep } from '../../../fixtures/workflows';

describe('WorkflowRunner routing', () => {
  describe('a linear workflow', () => {
    it('runs every step in order, storing outputs by step name and merging updates into params', async () => {
      const seen: unknown[] = [];
      const wf = Workflow.define({
        name: 'linear',
        defaults: { tier: 'OTC', date: 'default' },
        steps: [
          Step.lambda('fetch', () => StepResult.ok({ records: [1, 2, 3] }, { contextUpdates: { fetched: true } })),
          Step.lambda('count', (ctx) => {
            seen.push(ctx.getParam('fetched'), ctx.getParam('tier'), ctx.getParam('date'));
            return { count: ctx.getOutput<number[]>('fetch', 'records', []).length };
          }),
        ],
      });
      const { runner } = testRunner();
      const result = await runner.execute(wf, { params: { date: '2026-01-10' } });
      expect(result.status).toBe('completed');
      expect(result.completedSteps).toEqual(['fetch', 'count']);
      expect(result.totalSteps).toBe(2);
      expect(result.context.getOutput('count', 'count')).toBe(3);
      expect(seen).toEqual([true, 'OTC', '2026-01-10']);
      expect(result.context.checkpoint).toEqual({ lastCompletedStep: 'count', executedSteps: 2 });
    });

    it('hands each step the context it was given, unchanged by later steps', async () => {
      const contexts: unknown[] = [];
      const wf = Workflow.define({
        name: 'immutable',
        steps: [
          Step.lambda('a', (ctx) => {
            contexts.push(ctx);
            return StepResult.ok({ a: 1 }, { contextUpdates: { x: 1 } });
          }),
          valueStep('b'),
        ],
      });
      const result = await testRunner().runner.execute(wf);
      const first = contexts[0] as typeof result.context;
      expect(first.hasOutput('a')).toBe(false);
      expect(first.getParam('x')).toBeUndefined();
      expect(first.currentStep).toBe('a');
      expect(first.stepIdempotencyKey).toBe(`${result.runId}:a:1`);
      expect(result.context.getParam('x')).toBe(1);
    });

    it('fails the step that returns unsafe context updates, merging nothing', async () => {
      const updates = JSON.parse('{"__proto__": {"admin": true}}') as Record<string, unknown>;
      const wf = Workflow.define({ name: 'unsafe', steps: [Step.lambda('evil', () => StepResult.ok({}, { contextUpdates: updates })), valueStep('after')] });
      const result = await testRunner().runner.execute(wf);
      expect(result).toMatchObject({ status: 'failed', errorStep: 'evil', errorCategory: ErrorCategory.VALIDATION });
      expect(result.error).toMatch(/__proto__/);
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });
  });

  describe('a choice', () => {
    const wf = (volume: number) =>
      Workflow.define({
        name: 'route',
        steps: [
          Step.lambda('validate', () => ({ validCount: volume })),
          Step.choice('route', { when: (ctx) => ctx.getOutput('validate', 'validCount', 0) > 10, then: 'fast_path', otherwise: 'full_path' }),
          Step.lambda('fast_path', () => ({ path: 'fast' }), { next: 'load' }),
          Step.lambda('full_path', () => ({ path: 'full' })),
          valueStep('load'),
        ],
      });

    it('goes to then when the condition holds and skips what it jumps over', async () => {
      const result = await testRunner().runner.execute(wf(50));
      expect(result.completedSteps).toEqual(['validate', 'route', 'fast_path', 'load']);
      expect(result.skippedSteps).toEqual(['full_path']);
      expect(result.context.getOutput('route')).toEqual({ condition: true, next: 'fast_path' });
    });

    it('goes to otherwise when it does not', async () => {
      const result = await testRunner().runner.execute(wf(3));
      expect(result.completedSteps).toEqual(['validate', 'route', 'full_path', 'load']);
      expect(result.skippedSteps).toEqual(['fast_path']);
      expect(result.steps.find((s) => s.name === 'fast_path')).toMatchObject({ status: 'skipped', reason: '"route" routed to "full_path"' });
    });

    it('falls through to the next step without otherwise', async () => {
      const w = Workflow.define({
        name: 'fallthrough',
        steps: [Step.choice('c', { when: () => false, then: 'z' }), valueStep('y'), valueStep('z')],
      });
      const result = await testRunner().runner.execute(w);
      expect(result.completedSteps).toEqual(['c', 'y', 'z']);
      expect(result.skippedSteps).toEqual([]);
    });
  });

  describe('nextStep and END', () => {
    it('lets a result override routing and end the run early', async () => {
      const w = Workflow.define({
        name: 'override',
        steps: [Step.lambda('a', () => StepResult.ok({}, { nextStep: 'c' })), valueStep('b'), Step.lambda('c', () => StepResult.ok({}, { nextStep: Workflow.END })), valueStep('d')],
      });
      const result = await testRunner().runner.execute(w);
      expect(result.status).toBe('completed');
      expect(result.completedSteps).toEqual(['a', 'c']);
      expect(result.skippedSteps).toEqual(['b', 'd']);
    });

    it('fails a step that routes to a step that does not exist', async () => {
      const w = Workflow.define({ name: 'ghost', steps: [Step.lambda('a', () => StepResult.ok({}, { nextStep: 'ghost' })), valueStep('b')] });
      const result = await testRunner().runner.execute(w);
      expect(result).toMatchObject({ status: 'failed', errorStep: 'a', errorCategory: ErrorCategory.CONFIGURATION });
      expect(result.error).toBe('step "a" routed to "ghost", which is not a step of this workflow (steps: a, b)');
    });
  });

  describe('backward jumps', () => {
    it('loops until the condition changes, with a new idempotency key per pass', async () => {
      let polls = 0;
      const w = Workflow.define({
        name: 'poll',
        steps: [
          Step.lambda('poll', () => ({ ready: ++polls >= 3 })),
          Step.choice('ready?', { when: (ctx) => ctx.getOutput('poll', 'ready', false), then: 'done', otherwise: 'poll' }),
          valueStep('done'),
        ],
      });
      const result = await testRunner().runner.execute(w);
      expect(result.status).toBe('completed');
      expect(result.completedSteps).toEqual(['poll', 'ready?', 'poll', 'ready?', 'poll', 'ready?', 'done']);
      expect(result.steps.filter((s) => s.name === 'poll').map((s) => s.iteration)).toEqual([1, 2, 3]);
      expect(new Set(result.steps.map((s) => s.idempotencyKey)).size).toBe(7);
    });

    it('fails an endless loop at the step budget with a clear message', async () => {
      const w = Workflow.define({
        name: 'forever',
        maxSteps: 50,
        steps: [valueStep('spin'), Step.choice('again', { when: () => true, then: 'spin' })],
      });
      const result = await testRunner().runner.execute(w);
      expect(result).toMatchObject({ status: 'failed', executedSteps: 50, errorStep: 'spin', errorCategory: ErrorCategory.CONFIGURATION });
      expect(result.error).toMatch(/Workflow "forever" reached its step budget of 50 step executions at step "spin"/);
    });
  });

  describe('dependsOn', () => {
    it('skips a step whose dependency did not complete', async () => {
      const w = Workflow.define({
        name: 'deps',
        steps: [Step.lambda('ingest', () => StepResult.fail('no file'), { onError: 'CONTINUE' }), Step.lambda('normalize', () => ({}), { dependsOn: ['ingest'] }), valueStep('independent')],
      });
      const result = await testRunner().runner.execute(w);
      expect(result.status).toBe('partial');
      expect(result.failedSteps).toEqual(['ingest']);
      expect(result.skippedSteps).toEqual(['normalize']);
      expect(result.completedSteps).toEqual(['independent']);
    });
  });

  describe('startFrom', () => {
    it('skips the steps before it and rejects an unknown step before recording anything', async () => {
      const w = Workflow.define({ name: 'sf', steps: [valueStep('a'), valueStep('b'), valueStep('c')] });
      const { runner } = testRunner();
      const result = await runner.execute(w, { startFrom: 'b' });
      expect(result.completedSteps).toEqual(['b', 'c']);
      expect(result.skippedSteps).toEqual(['a']);
      await expect(runner.execute(w, { startFrom: 'zzz' })).rejects.toThrow('Workflow "sf" has no step "zzz" to start from. Steps: a, b, c.');
      expect(await runner.store.history.listRuns()).toHaveLength(1);
    });
  });
});
