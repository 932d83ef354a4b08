import { inject } from 'inversify';
import { Pipeline, type PipelineHandler, type PipelineParams } from 'spine-orchestration';
import { DEFAULT_SOURCES, daysOf } from './market.format';
import { MarketRepository } from './market.repository';
import { PriceAggregator } from './price.aggregator';
import { sessionOf } from './trading-calendar';

/** A month partition of the price history: every trading day aggregated in order, then the partition marked done. */
@Pipeline('market.load_month', { description: 'Load one month of daily closes (one partition)' })
export class LoadMonthPipeline implements PipelineHandler {
  constructor(
    @inject(MarketRepository) private readonly repository: MarketRepository,
    @inject(PriceAggregator) private readonly aggregator: PriceAggregator,
  ) {}

  async run(params: PipelineParams) {
    const month = String(params.month);
    const exchange = String(params.exchange);
    const sources = Array.isArray(params.sources) ? (params.sources as string[]) : [...DEFAULT_SOURCES];
    const entries = (await this.repository.calendar(exchange, month.slice(0, 4))).map((e) => ({ date: e.date, kind: e.kind as 'holiday' | 'early_close', name: e.name }));
    let rows = 0;
    let tradingDays = 0;
    const stale: string[] = [];
    const extreme: { date: string; symbol: string; changePct: number; source: string }[] = [];
    for (const date of daysOf(month)) {
      if (!sessionOf(exchange, date, entries).trading) continue;
      tradingDays++;
      const previous = await this.repository.previousCloses(date);
      const day = this.aggregator.aggregate(date, sources, previous, [...previous.keys()]);
      await this.repository.replaceDay(date, day.rows);
      rows += day.rows.length;
      stale.push(...day.stale.map((s) => `${date} ${s}`));
      extreme.push(...day.extreme.map((e) => ({ date, ...e })));
    }
    await this.repository.markPartition(String(params.dataset), month, tradingDays, rows);
    return { output: { month, tradingDays, rows, stale, extreme } };
  }
}
