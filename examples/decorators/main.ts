/**
 * Workflows as classes: `npm run example:decorators`.
 * Services are bound in an inversify container; workflows and pipelines are discovered from this
 * folder's modules at start-up, compiled, checked, and run by name.
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import { Spine, SpineValidationError, type RunEvent } from 'spine-orchestration';
import { ConsoleNotifier, OtcWeekSource } from './services';

const printEvent = (event: RunEvent): void => {
  if (event.parentRunId !== undefined) return;
  if (event.type === 'step_completed') console.log(`   ✓ ${event.step}`);
  if (event.type === 'step_failed') console.log(`   ✗ ${event.step}: ${event.error}`);
  if (event.type === 'step_skipped') console.log(`   – ${event.step} (skipped)`);
};

async function main(): Promise<void> {
  const container = new Container();
  container.bind(OtcWeekSource).toSelf().inSingletonScope();
  container.bind(ConsoleNotifier).toSelf().inSingletonScope();

  const spine = await Spine.create({
    container,
    cwd: __dirname,
    discover: ['*.workflow.{js,ts}', '*.pipeline.{js,ts}'],
    database: 'memory',
    onEvent: printEvent,
  });
  console.log(`Discovered workflows: ${spine.workflows().map((w) => w.name).join(', ')}\n`);

  console.log('1) finra.weekly_refresh for NMS Tier 2, week ending 2026-01-09');
  const weekly = await spine.run('finra.weekly_refresh', { params: { week_ending: '2026-01-09', tier: 'NMS Tier 2', top: '3' } });
  console.log(`   → ${weekly.status}; validate quality: ${JSON.stringify(weekly.steps.find((s) => s.name === 'validate')?.quality?.toJSON().validRate)}`);

  console.log('\n2) finra.all_tiers, week ending 2026-02-20 (map over the three tiers)');
  const all = await spine.run('finra.all_tiers', { params: { week_ending: '2026-02-20' } });
  const perTier = all.context.getOutput<{ succeeded: number; total: number }>('perTier');
  console.log(`   → ${all.status}; ${perTier.succeeded}/${perTier.total} tiers refreshed`);

  console.log('\n3) bad params are refused before any run is recorded');
  try {
    await spine.run('finra.weekly_refresh', { params: { week_ending: '09/01/2026', tier: 'OTCQX', top: 500 } });
  } catch (error) {
    if (!(error instanceof SpineValidationError)) throw error;
    console.log(error.message.replace(/^/gm, '   '));
  }

  const runs = await spine.listRuns({});
  console.log(`\n${runs.length} runs recorded: ${runs.map((r) => `${r.workflowName}=${r.status}`).join(', ')}`);
  await spine.close();
  if (weekly.status !== 'completed' || all.status !== 'completed') process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
