import { inject } from 'inversify';
import { ErrorCategory, Pipeline, StepError, type PipelineHandler, type PipelineParams } from 'spine-orchestration';
import { OtcRolling, type OtcSymbolWeek } from './finra.entities';
import { addDays, type Tier } from './otc.format';
import { OtcRepository } from './otc.repository';

/** Weeks in a rolling window. */
export const ROLLING_WEEKS = 6;
/** A week more than this far from the five before it is a trend. */
const TREND_THRESHOLD = 0.1;

/** The six week-ending dates of the window that ends at `week`, oldest first. */
export function rollingWindow(week: string): string[] {
  return Array.from({ length: ROLLING_WEEKS }, (_, i) => addDays(week, -7 * (ROLLING_WEEKS - 1 - i)));
}

/**
 * Six-week rolling averages per symbol, and the trend of the last week against the five before.
 * Needs all six weeks aggregated; computes one week (`week_ending`) or several in order (`weeks`).
 */
@Pipeline('finra.otc_transparency.compute_rolling', { description: 'Six-week rolling averages and trend per symbol' })
export class ComputeRollingPipeline implements PipelineHandler {
  constructor(@inject(OtcRepository) private readonly repository: OtcRepository) {}

  async run(params: PipelineParams) {
    const tier = params.tier as Tier;
    const weeks = Array.isArray(params.weeks) ? (params.weeks as string[]) : [String(params.week_ending)];
    let symbols = 0;
    for (const week of weeks) symbols += await this.computeWeek(tier, week);
    return { output: { weeks, rollingRows: symbols } };
  }

  private async computeWeek(tier: Tier, week: string): Promise<number> {
    const window = rollingWindow(week);
    const present = await this.repository.aggregatedWeeks(tier, window);
    if (present.length < ROLLING_WEEKS) {
      const missing = window.filter((w) => !present.includes(w));
      throw new StepError(`rolling metrics for ${tier} week ${week} need ${ROLLING_WEEKS} weeks of aggregates; missing ${missing.join(', ')}`, ErrorCategory.VALIDATION);
    }
    const bySymbol = new Map<string, OtcSymbolWeek[]>();
    for (const row of await this.repository.symbolWeeks(tier, window)) bySymbol.set(row.symbol, [...(bySymbol.get(row.symbol) ?? []), row]);
    const rows: OtcRolling[] = [];
    for (const [symbol, history] of bySymbol) {
      const latest = history.find((h) => h.weekEnding === week);
      const before = history.filter((h) => h.weekEnding !== week);
      const priorAverage = before.length === 0 ? null : before.reduce((sum, h) => sum + h.totalShares, 0) / before.length;
      const changePct = latest === undefined || priorAverage === null || priorAverage === 0 ? null : (latest.totalShares - priorAverage) / priorAverage;
      const trend = changePct === null ? (latest === undefined ? 'gone' : 'new') : changePct > TREND_THRESHOLD ? 'up' : changePct < -TREND_THRESHOLD ? 'down' : 'flat';
      rows.push(
        Object.assign(new OtcRolling(), {
          weekEnding: week,
          tier,
          symbol,
          weeksTraded: history.length,
          avgShares: history.reduce((sum, h) => sum + h.totalShares, 0) / ROLLING_WEEKS,
          avgTrades: history.reduce((sum, h) => sum + h.totalTrades, 0) / ROLLING_WEEKS,
          trend,
          changePct: changePct === null ? null : Math.round(changePct * 10_000) / 10_000,
        }),
      );
    }
    await this.repository.replaceRolling(week, tier, rows);
    return rows.length;
  }
}
