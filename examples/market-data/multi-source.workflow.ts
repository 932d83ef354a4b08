import { IsArray, IsDateString, IsIn, IsOptional } from 'class-validator';
import { inject } from 'inversify';
import { ErrorCategory, LambdaStep, MapStep, StepResult, Workflow, type WorkflowContext } from 'spine-orchestration';
import { DEFAULT_SOURCES } from './market.format';
import { MarketRepository } from './market.repository';
import { PriceAggregator } from './price.aggregator';
import { PriceFileSource, type SourceQuote } from './price-file.source';

/** One source's quotes for one day (the item of the fan-out). */
export class FetchSourceParams {
  @IsDateString({ strict: true })
  date!: string;

  @IsIn(DEFAULT_SOURCES)
  source_name!: string;
}

/** Fetches one price source for one day: the map's iterator (one step, so each source is one item row). */
@Workflow({ name: 'market.fetch_source', domain: 'market_data', description: 'Fetch one price source for one day', params: FetchSourceParams })
export class FetchSourceWorkflow {
  constructor(@inject(PriceFileSource) private readonly source: PriceFileSource) {}

  @LambdaStep()
  fetch(ctx: WorkflowContext) {
    const name = ctx.getParam<string>('source_name');
    const date = ctx.getParam<string>('date');
    if (!this.source.covers(name, date.slice(0, 7))) {
      return StepResult.fail(`source ${name} has no prices for ${date.slice(0, 7)} (down, or not subscribed)`, { category: ErrorCategory.DEPENDENCY });
    }
    const quotes = this.source.quotes(name, date);
    return { name, records: quotes.map((q) => ({ symbol: q.symbol, close: q.close, volume: q.volume, asOf: q.asOf })) };
  }
}

/** The day and the sources, in order of trust (the design's `source_priority`). */
export class MultiSourceParams {
  @IsDateString({ strict: true }, { message: 'date must be a date like 2026-03-12' })
  date!: string;

  @IsOptional()
  @IsArray()
  @IsIn(DEFAULT_SOURCES, { each: true, message: `each of price_sources must be one of: ${DEFAULT_SOURCES.join(', ')}` })
  price_sources?: string[];
}

type Fetched = { name: string; records: SourceQuote[] } | null;

/**
 * The design's example 3, multi-source price aggregation: a map fetches every source in parallel
 * (at most 3 at once; a source that fails is reported, the others go on — `onItemError:
 * 'partial'`, and the run ends partial), then the sources' quotes are resolved by priority (the
 * first trusted fresh price per symbol; conflicts counted) and stored as the day's closes.
 */
@Workflow({
  name: 'market.multi_source_prices',
  domain: 'market_data',
  description: 'Fetch every price source in parallel (a map), resolve conflicts by source priority, store the day',
  params: MultiSourceParams,
  defaults: { price_sources: [...DEFAULT_SOURCES] },
})
export class MultiSourcePricesWorkflow {
  constructor(
    @inject(PriceAggregator) private readonly aggregator: PriceAggregator,
    @inject(MarketRepository) private readonly repository: MarketRepository,
  ) {}

  @MapStep({ iterator: FetchSourceWorkflow, itemsFrom: 'params.price_sources', itemParam: 'source_name', maxConcurrency: 3, onItemError: 'partial' })
  fetchAllSources() {}

  /** Priority: the order of `price_sources`; a symbol two sources priced is a conflict, the first one wins. */
  @LambdaStep()
  async aggregateSources(ctx: WorkflowContext) {
    const date = ctx.getParam<string>('date');
    const fetched = ctx.getOutput<Fetched[]>('fetchAllSources', 'results').filter((f): f is NonNullable<Fetched> => f !== null);
    const previous = await this.repository.previousCloses(date);
    const day = this.aggregator.resolve(
      date,
      fetched.map((f) => ({ name: f.name, quotes: f.records })),
      previous,
      [...previous.keys()],
    );
    const pricedBy = new Map<string, number>();
    for (const source of fetched) for (const quote of source.records) if (quote.asOf === date) pricedBy.set(quote.symbol, (pricedBy.get(quote.symbol) ?? 0) + 1);
    await this.repository.replaceDay(date, day.rows);
    return StepResult.ok(
      {
        resolved_count: day.rows.length,
        conflict_count: [...pricedBy.values()].filter((n) => n > 1).length,
        by_source: day.bySource,
        missing_sources: ctx.getOutput<number>('fetchAllSources', 'failed'),
        stale: day.stale,
      },
      { quality: { recordCount: day.rows.length, nullCount: day.stale.length } },
    );
  }
}
