/**
 * The public API exactly as the core-engine issue spells it (its code, made runnable). If a name or
 * a shape here stops compiling or behaving, a contract other code relies on was broken.
 */
import {
  ErrorCategory,
  ErrorPolicy,
  InProcessDispatcher,
  LambdaStepResult,
  PipelineRegistry,
  QualityMetrics,
  QualityThresholds,
  RetryPolicy,
  Step,
  StepResult,
  Workflow,
  WorkflowContext,
  WorkflowRunner,
} from 'spine-orchestration';

const pipelines = new PipelineRegistry();
pipelines.register('my_domain.fetch_data', async (_params, _ctx) => ({
  output: { records: Array.from({ length: 12 }, (_, i) => ({ isValid: i !== 3 })) },
}));
pipelines.register('my_domain.load_data', async (params, ctx) => ({
  output: { mode: params.mode, loaded: ctx.getOutput('validate', 'validCount') },
}));

function validate(ctx: WorkflowContext, _config: Record<string, unknown>): StepResult {
  const records = ctx.getOutput('fetch', 'records', []) as Array<{ isValid: boolean }>;
  if (records.length === 0) return LambdaStepResult.fail('No records to validate');
  const validCount = records.filter((r) => r.isValid).length;
  return LambdaStepResult.ok({ validCount, total: records.length }, { contextUpdates: { validationPassed: validCount > 0 } });
}

describe('the public API contract', () => {
  it('runs the builder workflow of the issue', async () => {
    const wf = Workflow.builder('my_etl')
      .addPipeline('fetch', 'my_domain.fetch_data')
      .addLambda('validate', validate)
      .addPipeline('load', 'my_domain.load_data', { params: { mode: 'upsert' } })
      .build();
    const runner = new WorkflowRunner({ pipelines });
    const result = await runner.execute(wf, { params: { date: '2026-01-10' } });
    expect(result.status).toBe('completed');
    expect(result.completedSteps).toEqual(['fetch', 'validate', 'load']);
    expect([result.totalSteps, result.skippedSteps, result.failedSteps, result.errorStep, result.error]).toEqual([3, [], [], null, null]);
    expect(result.runId).toEqual(expect.any(String));
    expect(result.context.getOutput('validate', 'validCount')).toBe(11);
    expect(result.context.getParam('validationPassed')).toBe(true);
    expect(result.context.getOutput('load')).toEqual({ mode: 'upsert', loaded: 11 });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.steps).toHaveLength(3);
  });

  it('runs the Workflow.define form with every step type', async () => {
    const perTierWorkflow = Workflow.define({ name: 'per_tier', steps: [Step.lambda('tier', (ctx) => ({ tier: ctx.getParam('tier') }))] });
    const same = Workflow.define({
      name: 'my_etl',
      domain: 'demo',
      steps: [
        Step.pipeline('fetch', 'my_domain.fetch_data'),
        Step.lambda('validate', validate, { config: { strict: true }, onError: ErrorPolicy.STOP }),
        Step.choice('route', { when: (ctx) => ctx.getOutput('validate', 'validCount', 0) > 10, then: 'fast_path', otherwise: 'full_path' }),
        Step.lambda('fast_path', () => ({ path: 'fast' }), { next: 'rate_limit' }),
        Step.lambda('full_path', () => ({ path: 'full' })),
        Step.wait('rate_limit', { seconds: 1 }),
        Step.map('per_tier', {
          itemsFrom: (ctx) => ctx.getParam('tiers', []),
          itemParam: 'tier',
          iterator: perTierWorkflow,
          maxConcurrency: 4,
          toleratedFailurePercentage: 0,
        }),
      ],
    });
    const { FakeClock } = await import('spine-orchestration/testing');
    const runner = new WorkflowRunner({ dispatcher: new InProcessDispatcher(pipelines), clock: new FakeClock() });
    const result = await runner.execute(same, { params: { tiers: ['NMS Tier 1', 'OTC'] } });
    expect(result.status).toBe('completed');
    expect(result.skippedSteps).toEqual(['full_path']);
    expect(result.context.getOutput('per_tier', 'results')).toEqual([{ tier: 'NMS Tier 1' }, { tier: 'OTC' }]);
  });

  it('exports the policy, category and quality types by their names', () => {
    expect(Object.values(ErrorPolicy)).toEqual(['STOP', 'CONTINUE', 'RETRY']);
    expect(Object.values(ErrorCategory)).toEqual(['TRANSIENT', 'NETWORK', 'TIMEOUT', 'DATA_QUALITY', 'QUALITY_GATE', 'CONFIGURATION', 'DEPENDENCY', 'VALIDATION', 'INTERNAL']);
    expect(new RetryPolicy({ backoff: 'linear' }).backoff).toBe('linear');
    expect(new QualityThresholds({ minValidRate: 0.9 }).check(new QualityMetrics({ recordCount: 10, validCount: 8 }))).toHaveLength(1);
    expect(LambdaStepResult).toBe(StepResult);
  });
});
