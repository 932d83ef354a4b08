/**
 * `npm run example:market-data`: the market-data example on the embedded SQLite store.
 * Calendar sync of three exchanges (map), the daily feed on a trading day, a holiday and a
 * weekend (skipped by a choice), the day the quality gate stops (a bad vendor print), and the
 * monthly-partitioned backfill run twice (the second time every month is skipped).
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import { DataSource } from 'typeorm';
import { Spine, type WorkflowResult } from 'spine-orchestration';
import { formatDuration } from 'spine-orchestration/cli';
import { describeDatabase, exampleDataSource } from '../example.database';
import { bindMarketDataServices, MARKET_DATA_SCHEMA } from './market-data.module';

const say = (text = ''): void => console.log(text);
const outcome = (r: WorkflowResult): string =>
  r.status === 'completed' ? `completed in ${formatDuration(r.durationMs)}` : `${r.status} at "${r.errorStep}": ${r.error}`;

async function main(): Promise<void> {
  const dataSource = exampleDataSource([MARKET_DATA_SCHEMA]);
  const container = new Container();
  container.bind(DataSource).toConstantValue(dataSource);
  bindMarketDataServices(container);
  const spine = await Spine.create({ container, database: dataSource, cwd: __dirname, discover: ['*.workflow.{js,ts}', '*.pipeline.{js,ts}'] });
  try {
    say(`market-data example on ${describeDatabase(dataSource)}`);
    say(`workflows: ${spine.workflows().map((w) => w.name).join(', ')}\n`);

    const sync = await spine.run('market.calendar_sync');
    say(`1) market.calendar_sync → ${outcome(sync)}`);
    for (const line of sync.context.getOutput<string[]>('summary', 'synced')) say(`     ${line}`);

    say('\n2) market.backfill 2026-01 … 2026-02 (month partitions)');
    const backfill = await spine.run('market.backfill', { params: { from: '2026-01', to: '2026-02' } });
    say(`   → ${outcome(backfill)}; loaded ${JSON.stringify(backfill.context.getOutput('summary', 'loaded'))}, skipped ${JSON.stringify(backfill.context.getOutput('summary', 'skipped'))}`);

    say('\n3) market.daily_prices');
    for (const date of ['2026-02-16', '2026-03-02', '2026-03-07', '2026-03-12', '2026-03-13']) {
      const day = await spine.run('market.daily_prices', { params: { date } });
      const note = day.context.getOutput<string | null>('session', 'note', null);
      const detail =
        day.status !== 'completed'
          ? ''
          : day.completedSteps.includes('notTradingDay')
            ? ` — skipped: ${day.context.getOutput('notTradingDay', 'reason')}`
            : ` — ${day.context.getOutput('aggregate', 'symbols')} closes, by source ${JSON.stringify(day.context.getOutput('aggregate', 'bySource'))}${note ? `, ${note}` : ''}`;
      say(`   ${date}: ${outcome(day)}${detail}`);
    }

    say('\n4) market.backfill 2026-01 … 2026-03 again: January and February are done, only March loads');
    const again = await spine.run('market.backfill', { params: { from: '2026-01', to: '2026-03' } });
    say(`   → ${outcome(again)}; loaded ${JSON.stringify(again.context.getOutput('summary', 'loaded'))}, skipped ${JSON.stringify(again.context.getOutput('summary', 'skipped'))}`);
    const flagged = again.context.getOutput<{ date: string; symbol: string; changePct: number; source: string }[]>('summary', 'extremeMoves');
    say(`     flagged for review: ${flagged.map((e) => `${e.date} ${e.symbol} ${(e.changePct * 100).toFixed(0)}% (${e.source})`).join(', ') || 'none'}`);
    if (sync.status !== 'completed' || backfill.status !== 'completed' || again.status !== 'completed') process.exitCode = 1;
  } finally {
    await spine.close();
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
