import { ErrorCategory, InProcessDispatcher, PipelineRegistry, SpineError, Step, StepResult, Workflow, WorkflowDefinitionError, WorkflowRunner, type PipelineHandler } from 'spine-orchestration';
import { recordingPipelines, testRunner } from '../../../fixtures/workflows';

describe('WorkflowRunner with pipelines', () => {
  it('merges params: workflow defaults < run params with context updates < step params', async () => {
    const { pipelines, calls } = recordingPipelines('p.ingest');
    const wf = Workflow.define({
      name: 'merge',
      defaults: { tier: 'OTC', mode: 'default', week: 'w0' },
      steps: [
        Step.lambda('update', () => StepResult.ok({}, { contextUpdates: { week: 'w2' } })),
        Step.pipeline('ingest', 'p.ingest', { params: { mode: 'upsert' }, paramsFrom: (ctx) => ({ derived: `${ctx.getParam('week')}-x` }) }),
      ],
    });
    const { runner } = testRunner({ pipelines });
    await runner.execute(wf, { params: { week: 'w1', mode: 'run' } });
    expect(calls).toEqual([{ pipeline: 'p.ingest', params: { tier: 'OTC', mode: 'upsert', week: 'w2', derived: 'w2-x' } }]);
  });

  it('hands the pipeline the context with prior outputs and stores its output', async () => {
    const pipelines = new PipelineRegistry();
    class LoadPipeline implements PipelineHandler {
      run(params: Readonly<Record<string, unknown>>, ctx: import('spine-orchestration').WorkflowContext) {
        return { output: { loaded: ctx.getOutput<number[]>('fetch', 'rows', []).length, mode: params.mode }, quality: { recordCount: 2, validCount: 2 } };
      }
    }
    pipelines.register('p.load', new LoadPipeline());
    const wf = Workflow.define({ name: 'ctx', steps: [Step.lambda('fetch', () => ({ rows: [1, 2] })), Step.pipeline('load', 'p.load', { params: { mode: 'upsert' } })] });
    const result = await new WorkflowRunner({ pipelines }).execute(wf);
    expect(result.context.getOutput('load')).toEqual({ loaded: 2, mode: 'upsert' });
    expect(result.steps[1]!.quality?.recordCount).toBe(2);
  });

  it('reports unknown pipelines before the run starts, listing the registered ones', async () => {
    const { pipelines } = recordingPipelines('p.known');
    const wf = Workflow.define({
      name: 'unknown',
      steps: [Step.pipeline('a', 'p.missing'), Step.map('m', { items: [1], iterator: Step.pipeline('inner', 'p.also_missing') })],
    });
    const runner = new WorkflowRunner({ pipelines });
    expect(() => runner.validate(wf)).toThrow(WorkflowDefinitionError);
    await expect(runner.execute(wf)).rejects.toThrow(
      'Workflow "unknown" has 2 problems:\n  - step "a": Pipeline "p.missing" is not registered. Registered pipelines: p.known.\n' +
        '  - step "m" iterator: step "inner": Pipeline "p.also_missing" is not registered. Registered pipelines: p.known.',
    );
    expect(await runner.store.history.listRuns()).toEqual([]);
  });

  it('refuses a second registration under one name and says where the first was', () => {
    const pipelines = new PipelineRegistry().register('p.x', () => undefined);
    expect(() => pipelines.register('p.x', () => undefined)).toThrow(/Pipeline "p.x" is already registered \(first at .*pipelines\.test\.ts/);
    expect(() => pipelines.register('p.x', () => undefined, { replace: true })).not.toThrow();
    expect(() => pipelines.register('p.y', 42 as never)).toThrow(SpineError);
  });

  it('works through a dispatcher given explicitly', async () => {
    const { pipelines, calls } = recordingPipelines('p.a');
    const runner = new WorkflowRunner({ dispatcher: new InProcessDispatcher(pipelines) });
    await runner.execute(Workflow.define({ name: 'd', steps: [Step.pipeline('a', 'p.a')] }));
    expect(calls).toHaveLength(1);
  });

  it('fails a pipeline step whose handler throws, keeping the message', async () => {
    const pipelines = new PipelineRegistry().register('p.bad', () => {
      throw new Error('FINRA file missing');
    });
    const result = await new WorkflowRunner({ pipelines }).execute(Workflow.define({ name: 'b', steps: [Step.pipeline('bad', 'p.bad')] }));
    expect(result).toMatchObject({ status: 'failed', error: 'FINRA file missing', errorCategory: ErrorCategory.INTERNAL });
  });

  describe('dry run', () => {
    it('calls no pipeline, reports what would run, runs lambdas with metadata.dryRun and records nothing', async () => {
      const { pipelines, calls } = recordingPipelines('p.ingest');
      let dryRunSeen: unknown;
      const wf = Workflow.define({
        name: 'dry',
        steps: [
          Step.pipeline('ingest', 'p.ingest', { params: { mode: 'full' } }),
          Step.lambda('check', (ctx) => {
            dryRunSeen = ctx.metadata.dryRun;
          }),
        ],
      });
      const { runner } = testRunner({ pipelines });
      const result = await runner.execute(wf, { dryRun: true, params: { week: 'w1' } });
      expect(calls).toEqual([]);
      expect(result.context.getOutput('ingest')).toEqual({ dryRun: true, pipeline: 'p.ingest', params: { week: 'w1', mode: 'full' } });
      expect(dryRunSeen).toBe(true);
      expect(result.dryRun).toBe(true);
      expect(await runner.store.history.listRuns()).toEqual([]);
    });
  });
});

describe('InProcessDispatcher results', () => {
  it('refuses a return value that is not a PipelineResult instead of dropping it', async () => {
    const pipelines = new PipelineRegistry().register('p.raw', () => ({ rows: 5 }) as never);
    const result = await new WorkflowRunner({ pipelines }).execute(Workflow.define({ name: 'raw', steps: [Step.pipeline('raw', 'p.raw')] }));
    expect(result).toMatchObject({ status: 'failed', errorCategory: ErrorCategory.CONFIGURATION });
    expect(result.error).toBe('Pipeline "p.raw" returned an object with "rows"; return { output: { … } } (with optional quality, contextUpdates, events) or a StepResult.');
  });

  it('takes nothing as an empty output', async () => {
    const pipelines = new PipelineRegistry().register('p.void', () => undefined);
    const result = await new WorkflowRunner({ pipelines }).execute(Workflow.define({ name: 'v', steps: [Step.pipeline('v', 'p.void')] }));
    expect(result.context.getOutput('v')).toEqual({});
  });
});
