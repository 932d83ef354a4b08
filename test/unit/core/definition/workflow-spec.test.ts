import { Step, Workflow, workflowHash, workflowSpec } from 'spine-orchestration';

describe('workflowSpec / workflowHash', () => {
  const validate = function validate() {
    return undefined;
  };
  const build = (minValidRate: number) =>
    Workflow.define({
      name: 'w',
      steps: [Step.pipeline('fetch', 'p', { params: { b: 1, a: 2 } }), Step.lambda('validate', validate, { quality: { minValidRate } })],
    });

  it('describes functions by name and is JSON-serialisable', () => {
    const spec = workflowSpec(build(0.9));
    expect(JSON.parse(JSON.stringify(spec)).steps[1]).toMatchObject({ name: 'validate', type: 'lambda', handler: 'validate', quality: { minValidRate: 0.9 } });
  });

  it('gives equal definitions the same hash and changed ones another', () => {
    expect(workflowHash(build(0.9))).toBe(workflowHash(build(0.9)));
    expect(workflowHash(build(0.9))).not.toBe(workflowHash(build(0.95)));
    expect(workflowHash(build(0.9))).toMatch(/^[0-9a-f]{64}$/);
  });
});
