import { Step, Workflow } from 'spine-orchestration';
import { testRunner } from '../../../fixtures/workflows';

describe('step.scope', () => {
  it('keeps one value per run for every step, choice and map item source of that run', async () => {
    const key = {};
    let made = 0;
    const counter = (scope: { getOrCreate<T>(k: object, c: () => T): T }) => scope.getOrCreate(key, () => ({ id: ++made }));
    const wf = Workflow.define({
      name: 'scoped',
      steps: [
        Step.lambda('a', (_c, _cfg, step) => ({ id: counter(step.scope).id })),
        Step.choice('c', { when: (_c, step) => counter(step.scope).id === 1, then: 'b' }),
        Step.lambda('b', (_c, _cfg, step) => ({ id: counter(step.scope).id })),
      ],
    });
    const { runner } = testRunner();
    const first = await runner.execute(wf);
    const second = await runner.execute(wf);
    expect([first.context.getOutput('a', 'id'), first.context.getOutput('b', 'id')]).toEqual([1, 1]);
    expect(second.context.getOutput('b', 'id')).toBe(2);
  });

  it('gives each map item a scope of its own', async () => {
    const key = {};
    const wf = Workflow.define({
      name: 'items',
      steps: [Step.map('m', { items: [1, 2, 3], iterator: Step.lambda('i', (_c, _cfg, step) => ({ same: step.scope.getOrCreate(key, () => ({})) })) })],
    });
    const result = await testRunner().runner.execute(wf);
    const objects = result.context.getOutput<{ same: object }[]>('m', 'results').map((r) => r.same);
    expect(new Set(objects).size).toBe(3);
  });
});
