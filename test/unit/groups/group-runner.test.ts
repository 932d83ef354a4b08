import { ErrorCategory, PipelineRegistry, StepError, Workflow, WorkflowRunner } from 'spine-orchestration';
import { ExecutionPolicy, GroupRunner, PipelineGroup, PipelineStep, PlanResolver } from 'spine-orchestration/groups';

function registry(failing: string[] = [], log: string[] = [], delays: Record<string, number> = {}) {
  const pipelines = new PipelineRegistry();
  for (const name of ['p.ingest', 'p.normalize', 'p.aggregate', 'p.report', 'p.calendar']) {
    pipelines.register(name, async (params) => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, delays[name] ?? 0));
      log.push(`end ${name}`);
      if (failing.includes(name)) throw new StepError(`${name} failed`, ErrorCategory.DEPENDENCY);
      return { output: { name, params: { ...params } } };
    });
  }
  return pipelines;
}

const steps = () => [
  new PipelineStep('aggregate', 'p.aggregate', { dependsOn: ['normalize'] }),
  new PipelineStep('ingest', 'p.ingest', { params: { mode: 'full' } }),
  new PipelineStep('normalize', 'p.normalize', { dependsOn: ['ingest'] }),
  new PipelineStep('calendar', 'p.calendar'),
  new PipelineStep('report', 'p.report', { dependsOn: ['aggregate', 'calendar'] }),
];

describe('PlanResolver', () => {
  it('orders steps by dependency and merges params: defaults < run < step', () => {
    const group = new PipelineGroup({ name: 'g', defaults: { tier: 'OTC', mode: 'd' }, steps: steps() });
    const plan = new PlanResolver().resolve(group, { week: 'w1', mode: 'run' });
    expect(plan.steps.map((s) => s.name)).toEqual(['ingest', 'normalize', 'aggregate', 'calendar', 'report']);
    expect(plan.steps[0]!.params).toEqual({ tier: 'OTC', mode: 'full', week: 'w1' });
    expect(plan.steps[1]!.params).toEqual({ tier: 'OTC', mode: 'run', week: 'w1' });
  });

  it('lists missing dependencies, cycles with their path, duplicates and unknown pipelines in one error', () => {
    const group = new PipelineGroup({
      name: 'broken',
      steps: [
        new PipelineStep('a', 'p.ingest', { dependsOn: ['c'] }),
        new PipelineStep('b', 'p.ingest', { dependsOn: ['a'] }),
        new PipelineStep('c', 'p.ingest', { dependsOn: ['b'] }),
        new PipelineStep('d', 'p.nowhere', { dependsOn: ['ghost'] }),
        new PipelineStep('d', 'p.ingest'),
      ],
    });
    expect(() => new PlanResolver({ pipelines: registry() }).resolve(group)).toThrow(
      'Group "broken" has 4 problems:\n' +
        '  - step "d": pipeline "p.nowhere" is not registered\n' +
        '  - step "d" is declared more than once\n' +
        '  - step "d" depends on "ghost", which is not a step of the group\n' +
        '  - dependency cycle (→ means "depends on"): a → c → b → a',
    );
  });
});

describe('GroupRunner', () => {
  it('runs a sequential plan in order through the dispatcher', async () => {
    const log: string[] = [];
    const plan = new PlanResolver().resolve(new PipelineGroup({ name: 'seq', steps: steps() }));
    const result = await new GroupRunner({ pipelines: registry([], log) }).execute(plan);
    expect(result.status).toBe('completed');
    expect(result.completedSteps).toEqual(['ingest', 'normalize', 'aggregate', 'calendar', 'report']);
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start p.ingest', 'start p.normalize', 'start p.aggregate', 'start p.calendar', 'start p.report']);
    expect(result.steps[0]!.output).toEqual({ name: 'p.ingest', params: { mode: 'full' } });
  });

  it('runs independent steps in parallel up to maxConcurrency', async () => {
    const log: string[] = [];
    const plan = new PlanResolver().resolve(new PipelineGroup({ name: 'par', steps: steps(), policy: ExecutionPolicy.parallel(2) }));
    const result = await new GroupRunner({ pipelines: registry([], log, { 'p.ingest': 20 }) }).execute(plan);
    expect(result.status).toBe('completed');
    expect(log.slice(0, 2)).toEqual(['start p.ingest', 'start p.calendar']);
    expect(log.indexOf('start p.report')).toBeGreaterThan(log.indexOf('end p.aggregate'));
  });

  it('stops on failure by default: later steps are skipped and the group fails', async () => {
    const plan = new PlanResolver().resolve(new PipelineGroup({ name: 'stop', steps: steps() }));
    const result = await new GroupRunner({ pipelines: registry(['p.normalize']) }).execute(plan);
    expect(result.status).toBe('failed');
    expect(result.failedSteps).toEqual(['normalize']);
    expect(result.skippedSteps).toEqual(['aggregate', 'calendar', 'report']);
    expect(result.steps[1]).toMatchObject({ error: 'p.normalize failed', errorCategory: ErrorCategory.DEPENDENCY });
  });

  it('continues past a failure when asked: dependents are skipped, others run, the group is partial', async () => {
    const plan = new PlanResolver().resolve(new PipelineGroup({ name: 'cont', steps: steps(), policy: ExecutionPolicy.sequential({ onFailure: 'continue' }) }));
    const result = await new GroupRunner({ pipelines: registry(['p.normalize']) }).execute(plan);
    expect(result.status).toBe('partial');
    expect(result.completedSteps).toEqual(['ingest', 'calendar']);
    expect(result.skippedSteps).toEqual(['aggregate', 'report']);
    expect(result.steps.find((s) => s.name === 'report')?.reason).toBe('its dependency "aggregate" did not complete');
  });

  it('runs the same group converted to a workflow with the same outcome', async () => {
    const group = new PipelineGroup({ name: 'conv', steps: steps(), policy: ExecutionPolicy.sequential({ onFailure: 'continue' }) });
    const result = await new WorkflowRunner({ pipelines: registry(['p.normalize']) }).execute(Workflow.fromGroup(group));
    expect(result.completedSteps).toEqual(['ingest', 'calendar']);
    expect(result.failedSteps).toEqual(['normalize']);
    expect(result.skippedSteps).toEqual(['aggregate', 'report']);
  });

  it('rejects a bad parallelism', () => {
    expect(() => ExecutionPolicy.parallel(0)).toThrow(/maxConcurrency must be a whole number ≥ 1 \(got 0\)/);
  });
});
