import { inject } from 'inversify';
import { Pipeline, type PipelineHandler, type PipelineParams } from 'spine-orchestration';
import { DEFAULT_SOURCES } from './market.format';
import { MarketRepository } from './market.repository';
import { PriceAggregator } from './price.aggregator';

/** One trading day: every source read, the most trusted fresh price per symbol stored in md_daily_price. */
@Pipeline('market.aggregate_prices', { description: 'Aggregate one day of closes by source priority' })
export class AggregatePricesPipeline implements PipelineHandler {
  constructor(
    @inject(MarketRepository) private readonly repository: MarketRepository,
    @inject(PriceAggregator) private readonly aggregator: PriceAggregator,
  ) {}

  async run(params: PipelineParams) {
    const date = String(params.date);
    const sources = Array.isArray(params.sources) ? (params.sources as string[]) : [...DEFAULT_SOURCES];
    const previous = await this.repository.previousCloses(date);
    const day = this.aggregator.aggregate(date, sources, previous, [...previous.keys()]);
    await this.repository.replaceDay(date, day.rows);
    return { output: { date, symbols: day.rows.length, bySource: day.bySource, staleSources: day.staleSources, stale: day.stale, extreme: day.extreme } };
  }
}
