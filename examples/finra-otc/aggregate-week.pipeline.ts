import { inject } from 'inversify';
import { Pipeline, type PipelineHandler, type PipelineParams } from 'spine-orchestration';
import { OtcSymbolWeek } from './finra.entities';
import type { Tier } from './otc.format';
import { OtcRepository } from './otc.repository';

/** Per symbol of a week: total shares and trades, venue count, and the top venue with its share of volume. */
@Pipeline('finra.otc_transparency.aggregate_week', { description: 'Aggregate a week per symbol across venues' })
export class AggregateWeekPipeline implements PipelineHandler {
  constructor(@inject(OtcRepository) private readonly repository: OtcRepository) {}

  async run(params: PipelineParams) {
    const week = String(params.week_ending);
    const tier = params.tier as Tier;
    const bySymbol = new Map<string, OtcSymbolWeek & { topShares: number }>();
    for (const row of await this.repository.venueWeek(week, tier)) {
      const agg = bySymbol.get(row.symbol);
      if (agg === undefined) {
        bySymbol.set(
          row.symbol,
          Object.assign(new OtcSymbolWeek(), {
            weekEnding: week,
            tier,
            symbol: row.symbol,
            issueName: row.issueName,
            totalShares: row.shares,
            totalTrades: row.trades,
            venueCount: 1,
            topVenue: row.mpid,
            topVenueShare: 0,
            topShares: row.shares,
          }),
        );
        continue;
      }
      agg.totalShares += row.shares;
      agg.totalTrades += row.trades;
      agg.venueCount++;
      if (row.shares > agg.topShares) Object.assign(agg, { topVenue: row.mpid, topShares: row.shares });
    }
    const rows = [...bySymbol.values()].map(({ topShares, ...agg }) => Object.assign(new OtcSymbolWeek(), agg, { topVenueShare: agg.totalShares === 0 ? 0 : topShares / agg.totalShares }));
    await this.repository.replaceSymbolWeek(week, tier, rows);
    const top = [...rows].sort((a, b) => b.totalShares - a.totalShares).slice(0, 5);
    return {
      output: {
        symbols: rows.length,
        totalShares: rows.reduce((sum, r) => sum + r.totalShares, 0),
        top: top.map((r) => ({ symbol: r.symbol, shares: r.totalShares, venues: r.venueCount, topVenue: r.topVenue, topVenueShare: Math.round(r.topVenueShare * 1000) / 1000 })),
      },
    };
  }
}
