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
const outcome = (r: WorkflowResult): string => (r.status === 'completed' ? `completed in ${formatDuration(r.durationMs)}` : `${r.status} at "${r.errorStep}": ${r.error}`);

async function main(): Promise<void> {
  const dataSource = exampleDataSource([MARKET_DATA_SCHEMA]);
  const container = new Container();
  container.bind(DataSource).toConstantValue(dataSource);
  bindMarketDataServices(container);
  const spine = await Spine.create({ container, database: dataSource, cwd: __dirname, discover: ['*.workflow.{js,ts}', '*.pipeline.{js,ts}'] });
  try {
    say(`market-data example on ${describeDatabase(dataSource)}`);
    say(
      `workflows: ${spine
        .workflows()
        .map((w) => w.name)
        .join(', ')}\n`,
    );

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

    say('\n5) market.multi_source_prices 2026-03-04: the three sources fetched in parallel (a map), conflicts resolved by priority');
    const multi = await spine.run('market.multi_source_prices', { params: { date: '2026-03-04' } });
    const resolved = multi.context.getOutput<{ resolved_count: number; conflict_count: number; by_source: Record<string, number> }>('aggregateSources');
    say(`   → ${outcome(multi)}; ${resolved.resolved_count} closes, ${resolved.conflict_count} symbols priced by several sources, by source ${JSON.stringify(resolved.by_source)}`);

    say('\n6) market.realtime_update ×3 for AAPL, at most 2 updates per 0.5 s: the third waits (seconds computed by the rate check)');
    for (let i = 1; i <= 3; i++) {
      const update = await spine.run('market.realtime_update', { params: { symbol: 'AAPL', price: 245 + i / 10, max_updates: 2, window_seconds: 0.5 } });
      const throttled = update.completedSteps.includes('throttle');
      say(`   update ${i}: ${outcome(update)}${throttled ? ` after waiting ${update.context.getOutput<number>('checkRate', 'wait_seconds').toFixed(2)} s` : ''}`);
    }
    if (sync.status !== 'completed' || backfill.status !== 'completed' || again.status !== 'completed' || multi.status !== 'completed') process.exitCode = 1;
  } finally {
    await spine.close();
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
