/**
 * The seed's quick start: a pipeline fetches records, a lambda validates them from the context,
 * a pipeline loads them; then the same engine with a choice, a quality gate and a map.
 *
 *   npm run demo
 */
import { LambdaStepResult, PipelineRegistry, Step, StepResult, Workflow, WorkflowContext, WorkflowRunner, type RunEvent } from 'spine-orchestration';

interface SampleRecord {
  readonly symbol: string;
  readonly shares: number;
  readonly isValid: boolean;
}

const pipelines = new PipelineRegistry();
pipelines.register('my_domain.fetch_data', async (params) => {
  const symbols = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'META', 'GOOG', '', 'SPY', 'QQQ', 'IWM', 'XLF'];
  const records: SampleRecord[] = symbols.map((symbol, i) => ({ symbol, shares: (i + 1) * 1_000, isValid: symbol !== '' }));
  return { output: { records, date: params.date } };
});
pipelines.register('my_domain.load_data', async (params, ctx) => {
  const records = ctx.getOutput<SampleRecord[]>('fetch', 'records', []).filter((r) => r.isValid);
  return { output: { loaded: records.length, mode: params.mode } };
});

/** A lambda step: reads a prior step's output from the context and returns a result. */
function validate(ctx: WorkflowContext, _config: Readonly<Record<string, unknown>>): StepResult {
  const records = ctx.getOutput('fetch', 'records', []) as SampleRecord[];
  if (records.length === 0) return LambdaStepResult.fail('No records to validate');
  const validCount = records.filter((r) => r.isValid).length;
  return LambdaStepResult.ok(
    { validCount, total: records.length },
    {
      contextUpdates: { validationPassed: validCount > 0 },
      quality: { recordCount: records.length, validCount, nullCount: records.length - validCount },
    },
  );
}

const printEvent = (event: RunEvent): void => {
  if (event.parentRunId !== undefined) return;
  if (event.type === 'step_completed') console.log(`  ✓ ${event.step} (${event.durationMs!.toFixed(1)} ms)`);
  if (event.type === 'step_failed') console.log(`  ✗ ${event.step}: ${event.error}`);
  if (event.type === 'step_skipped') console.log(`  – ${event.step} skipped: ${event.reason}`);
};

async function main(): Promise<void> {
  const runner = new WorkflowRunner({ pipelines, onEvent: printEvent });

  console.log('1) my_etl: fetch → validate → load');
  const etl = Workflow.builder('my_etl')
    .addPipeline('fetch', 'my_domain.fetch_data')
    .addLambda('validate', validate, { quality: { minValidRate: 0.9 } })
    .addPipeline('load', 'my_domain.load_data', { params: { mode: 'upsert' } })
    .build();
  const result = await runner.execute(etl, { params: { date: '2026-01-10' } });
  console.log(`   Status: ${result.status}`);
  console.log(`   Steps completed: ${result.completedSteps.length}/${result.totalSteps}`);
  console.log(`   validCount=${result.context.getOutput('validate', 'validCount')} loaded=${result.context.getOutput('load', 'loaded')}`);

  console.log('\n2) the same data behind a strict gate (minValidRate 0.99) fails the run with DATA_QUALITY');
  const strict = Workflow.define({
    name: 'my_etl.strict',
    steps: [Step.pipeline('fetch', 'my_domain.fetch_data'), Step.lambda('validate', validate, { quality: { minValidRate: 0.99 } }), Step.pipeline('load', 'my_domain.load_data')],
  });
  const failed = await runner.execute(strict, { params: { date: '2026-01-10' } });
  console.log(`   Status: ${failed.status} at "${failed.errorStep}" (${failed.errorCategory})`);

  console.log('\n3) choice + map: route by volume, fan out over tiers (concurrency 2)');
  const perTier = Workflow.define({
    name: 'per_tier',
    steps: [Step.lambda('summarize', (ctx) => ({ tier: ctx.getParam('tier'), weeks: ctx.getParam('weeks') }))],
  });
  const routed = Workflow.define({
    name: 'routed',
    domain: 'demo',
    defaults: { tiers: ['NMS Tier 1', 'NMS Tier 2', 'OTC'], weeks: 6 },
    steps: [
      Step.pipeline('fetch', 'my_domain.fetch_data'),
      Step.lambda('validate', validate),
      Step.choice('route', {
        when: (ctx) => ctx.getOutput('validate', 'validCount', 0) > 10,
        then: 'fast_path',
        otherwise: 'full_path',
      }),
      Step.lambda('fast_path', () => StepResult.ok({ path: 'fast' }), { next: 'per_tier' }),
      Step.lambda('full_path', () => StepResult.ok({ path: 'full' })),
      Step.map('per_tier', { itemsPath: 'params.tiers', itemParam: 'tier', iterator: perTier, maxConcurrency: 2 }),
    ],
  });
  const mapped = await runner.execute(routed, { params: { date: '2026-01-10' } });
  const tiers = mapped.context.getOutput<{ results: unknown[] }>('per_tier').results;
  console.log(`   Status: ${mapped.status}; skipped: ${mapped.skippedSteps.join(', ') || 'none'}`);
  console.log(`   per_tier results: ${JSON.stringify(tiers)}`);

  const runs = await runner.store.history.listRuns();
  console.log(`\n${runs.length} runs recorded in the in-memory store: ${runs.map((r) => `${r.workflowName}=${r.status}`).join(', ')}`);
  if (result.status !== 'completed' || failed.status !== 'failed' || mapped.status !== 'completed') process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
