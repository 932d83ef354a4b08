import { inject } from 'inversify';
import { Pipeline, type PipelineHandler, type PipelineParams } from 'spine-orchestration';
import { OtcVenueWeek } from './finra.entities';
import { captureIdOf, type Tier } from './otc.format';
import { OtcRepository } from './otc.repository';

/**
 * Turns a capture's raw rows into one row per symbol and venue: symbols and MPIDs upper-cased and
 * trimmed, names' whitespace collapsed, exact duplicate lines dropped, split reports of the same
 * symbol and venue added up.
 */
@Pipeline('finra.otc_transparency.normalize_week', { description: 'Clean and de-duplicate a week into venue rows' })
export class NormalizeWeekPipeline implements PipelineHandler {
  constructor(@inject(OtcRepository) private readonly repository: OtcRepository) {}

  async run(params: PipelineParams) {
    const week = String(params.week_ending);
    const tier = params.tier as Tier;
    const raw = await this.repository.rawRows(captureIdOf(week, tier));
    const seen = new Set<string>();
    const byVenue = new Map<string, OtcVenueWeek>();
    let duplicates = 0;
    let merged = 0;
    for (const row of raw) {
      const symbol = row.symbol.trim().toUpperCase();
      const mpid = row.mpid.trim().toUpperCase();
      const line = `${symbol}|${mpid}|${row.shares}|${row.trades}`;
      if (seen.has(line)) {
        duplicates++;
        continue;
      }
      seen.add(line);
      const key = `${symbol}|${mpid}`;
      const earlier = byVenue.get(key);
      if (earlier !== undefined) {
        merged++;
        earlier.shares += row.shares;
        earlier.trades += row.trades;
        continue;
      }
      byVenue.set(key, Object.assign(new OtcVenueWeek(), { weekEnding: week, tier, symbol, mpid, issueName: row.issueName.replace(/\s+/g, ' ').trim(), shares: row.shares, trades: row.trades }));
    }
    await this.repository.replaceVenueWeek(week, tier, [...byVenue.values()]);
    return { output: { venueRows: byVenue.size, duplicatesDropped: duplicates, splitReportsMerged: merged } };
  }
}
