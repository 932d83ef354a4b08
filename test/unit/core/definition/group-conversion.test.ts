import { ErrorPolicy, Workflow } from 'spine-orchestration';
import { ExecutionPolicy, PipelineGroup, PipelineStep } from 'spine-orchestration/groups';

describe('Workflow.fromGroup', () => {
  const group = new PipelineGroup({
    name: 'finra.refresh',
    domain: 'finra',
    defaults: { tier: 'OTC' },
    policy: ExecutionPolicy.sequential({ onFailure: 'continue' }),
    steps: [
      new PipelineStep('aggregate', 'finra.aggregate', { dependsOn: ['normalize'] }),
      new PipelineStep('ingest', 'finra.ingest', { params: { mode: 'full' } }),
      new PipelineStep('normalize', 'finra.normalize', { dependsOn: ['ingest'] }),
    ],
  });

  it('orders the pipeline steps by their dependencies and keeps params, defaults and the failure mode', () => {
    const wf = Workflow.fromGroup(group);
    expect(wf.steps.map((s) => s.name)).toEqual(['ingest', 'normalize', 'aggregate']);
    expect(wf.defaults).toEqual({ tier: 'OTC' });
    expect(wf.domain).toBe('finra');
    const ingest = wf.steps[0]!;
    expect(ingest.type === 'pipeline' && ingest.params).toEqual({ mode: 'full' });
    expect(wf.steps.every((s) => s.onError === ErrorPolicy.CONTINUE)).toBe(true);
    expect(wf.steps[2]!.dependsOn).toEqual(['normalize']);
  });

  it('reports a cycle with its path', () => {
    const cyclic = new PipelineGroup({
      name: 'loop',
      steps: [new PipelineStep('a', 'p', { dependsOn: ['b'] }), new PipelineStep('b', 'p', { dependsOn: ['a'] })],
    });
    expect(() => Workflow.fromGroup(cyclic)).toThrow('Group "loop": dependency cycle (→ means "depends on"): a → b → a');
  });
});
