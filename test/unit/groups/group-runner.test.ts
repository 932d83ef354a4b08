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

  describe('a parallel group converted to a workflow', () => {
    const group = (policy: ExecutionPolicy) => new PipelineGroup({ name: 'par', steps: steps(), policy });

    it('keeps its parallelism: the steps of a level run at once as a map, later levels after them, each member’s output in the map’s results', async () => {
      const wf = Workflow.fromGroup(group(ExecutionPolicy.parallel(2)));
      expect(wf.steps.map((s) => `${s.type} ${s.name}`)).toEqual(['map ingest+calendar', 'pipeline normalize', 'pipeline aggregate', 'pipeline report']);
      expect(wf.steps[1]!.dependsOn).toEqual(['ingest+calendar']);
      expect(wf.steps[3]!.dependsOn).toEqual(['aggregate', 'ingest+calendar']);
      const log: string[] = [];
      const result = await new WorkflowRunner({ pipelines: registry([], log, { 'p.ingest': 20, 'p.calendar': 20 }) }).execute(wf, { params: { week: 'w1' } });
      expect(result.status).toBe('completed');
      expect(result.completedSteps).toEqual(['ingest+calendar', 'normalize', 'aggregate', 'report']);
      expect(log.slice(0, 2).sort()).toEqual(['start p.calendar', 'start p.ingest']);
      expect(log.indexOf('start p.normalize')).toBeGreaterThan(Math.max(log.indexOf('end p.ingest'), log.indexOf('end p.calendar')));
      const level = result.context.getOutput('ingest+calendar') as { results: { name: string; params: Record<string, unknown> }[] };
      expect(level.results.map((r) => r.name)).toEqual(['p.ingest', 'p.calendar']);
      expect(level.results[0]!.params).toMatchObject({ mode: 'full', week: 'w1' });
    });

    it('runs no more than maxConcurrency members at once', async () => {
      const wide = new PipelineGroup({
        name: 'wide',
        policy: ExecutionPolicy.parallel(2),
        steps: ['p.ingest', 'p.normalize', 'p.aggregate', 'p.calendar'].map((p) => new PipelineStep(p.slice(2), p)),
      });
      const log: string[] = [];
      const result = await new WorkflowRunner({ pipelines: registry([], log, { 'p.ingest': 5, 'p.normalize': 5, 'p.aggregate': 5, 'p.calendar': 5 }) }).execute(Workflow.fromGroup(wide));
      expect(result.status).toBe('completed');
      let inFlight = 0;
      let most = 0;
      for (const entry of log) most = Math.max(most, (inFlight += entry.startsWith('start') ? 1 : -1));
      expect(most).toBe(2);
    });

    it("under 'stop' a failed member fails the run at its level, and a resume runs only the members that did not complete", async () => {
      const log: string[] = [];
      const failing = ['p.calendar'];
      const wf = Workflow.fromGroup(group(ExecutionPolicy.parallel(2)));
      const runner = new WorkflowRunner({ pipelines: registry(failing, log), workflows: { get: (n) => (n === wf.name ? wf : undefined), names: () => [wf.name] } });
      const failed = await runner.execute(wf);
      expect(failed.status).toBe('failed');
      expect(failed.errorStep).toBe('ingest+calendar');
      expect(log).not.toContain('start p.normalize');
      failing.length = 0;
      const resumed = await runner.resume(failed.runId);
      expect(resumed.status).toBe('completed');
      expect(log.filter((e) => e === 'start p.ingest')).toHaveLength(1);
      expect(log.filter((e) => e === 'start p.calendar')).toHaveLength(2);
    });

    it("under 'continue' the steps that depend on a level with a failed member are skipped, and the run is partial", async () => {
      const result = await new WorkflowRunner({ pipelines: registry(['p.calendar']) }).execute(Workflow.fromGroup(group(ExecutionPolicy.parallel(2, { onFailure: 'continue' }))));
      expect(result.status).toBe('partial');
      expect(result.failedSteps).toEqual(['ingest+calendar']);
      expect(result.skippedSteps).toEqual(['normalize', 'aggregate', 'report']);
    });

    it('stays a sequence with maxConcurrency 1', () => {
      expect(Workflow.fromGroup(group(ExecutionPolicy.parallel(1))).steps.map((s) => s.name)).toEqual(['ingest', 'normalize', 'aggregate', 'calendar', 'report']);
    });
  });

  it('rejects a bad parallelism', () => {
    expect(() => ExecutionPolicy.parallel(0)).toThrow(/maxConcurrency must be a whole number ≥ 1 \(got 0\)/);
  });
});
