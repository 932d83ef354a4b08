import { inject, injectable } from 'inversify';
import { ErrorCategory, Handler, StepResult, type WorkflowContext } from 'spine-orchestration';
import { ROLLING_WEEKS, rollingWindow } from './compute-rolling.pipeline';
import type { Tier } from './otc.format';
import { OtcNotifier } from './otc.notifier';
import { OtcRepository } from './otc.repository';

/** Smallest and largest plausible row counts of a weekly file, per tier. */
export const TIER_RECORD_RANGES: Readonly<Record<Tier, readonly [number, number]>> = {
  'NMS Tier 1': [500, 1500],
  'NMS Tier 2': [250, 800],
  OTC: [150, 800],
};

/** Valid rows below this share (but above the hard gate) wait for a data steward when `steward_review` is on. */
export const STEWARD_REVIEW_RATE = 0.997;

type IngestOutput = { rowCount: number; validCount: number; rejectedCount: number; rejectReasons: Record<string, number> };

/**
 * The weekly refresh's lambda steps, by the names the YAML definition
 * (`workflows/weekly-refresh.yaml`) calls them; the class version (`WeeklyRefreshWorkflow`)
 * calls the same methods, so both versions do the same work.
 */
@injectable()
export class WeeklyRefreshSteps {
  constructor(
    @inject(OtcRepository) private readonly repository: OtcRepository,
    @inject(OtcNotifier) private readonly notifier: OtcNotifier,
  ) {}

  /** The quality gate's numbers: valid rows, and a row count in the tier's usual range. */
  @Handler('finra.otc_transparency.steps.validate_ingest')
  validate(ctx: WorkflowContext): StepResult {
    const ingest = ctx.getOutput<IngestOutput>('ingest');
    const tier = ctx.getParam<Tier>('tier');
    const [low, high] = TIER_RECORD_RANGES[tier];
    const quality = {
      recordCount: ingest.rowCount,
      validCount: ingest.validCount,
      invalidCount: ingest.rejectedCount,
      customMetrics: { expectedMin: low, expectedMax: high },
    };
    if (ingest.rowCount < low || ingest.rowCount > high) {
      return StepResult.fail(`${tier} week ${ctx.getParam('week_ending')} has ${ingest.rowCount} rows; a ${tier} file has ${low}–${high}`, {
        category: ErrorCategory.DATA_QUALITY,
        quality: { ...quality, failureReasons: [`recordCount ${ingest.rowCount} outside ${low}–${high}`] },
      });
    }
    return StepResult.ok({ validRows: ingest.validCount, rejected: ingest.rejectReasons }, { quality });
  }

  /** The soft gate's numbers (the step's gate parks the run for a data steward below 99.7 % valid). */
  @Handler('finra.otc_transparency.steps.steward_review')
  stewardReview(ctx: WorkflowContext): StepResult {
    const ingest = ctx.getOutput<IngestOutput>('ingest');
    return StepResult.ok({ reviewed: true, rejected: ingest.rejectReasons }, { quality: { recordCount: ingest.rowCount, validCount: ingest.validCount, invalidCount: ingest.rejectedCount } });
  }

  /** How many of the rolling window's weeks are aggregated already. */
  @Handler('finra.otc_transparency.steps.check_rolling_prerequisites')
  async checkHistory(ctx: WorkflowContext): Promise<{ weeksAvailable: number; weeksNeeded: number; window: string[] }> {
    const window = rollingWindow(ctx.getParam<string>('week_ending'));
    const present = await this.repository.aggregatedWeeks(ctx.getParam('tier'), window);
    return { weeksAvailable: present.length, weeksNeeded: ROLLING_WEEKS, window };
  }

  @Handler('finra.otc_transparency.steps.skip_rolling')
  skipRolling(ctx: WorkflowContext): { rolling: string; reason: string } {
    const reason = ctx.getParam<boolean>('defer_rolling', false) ? 'deferred to the caller' : `${ctx.getOutput('checkHistory', 'weeksAvailable')} of ${ROLLING_WEEKS} weeks of history`;
    return { rolling: 'skipped', reason };
  }

  /** Tells the data team what the week brought (a failed notification does not fail the refresh: the step continues on error). */
  @Handler('common.steps.send_completion_notification')
  async notify(ctx: WorkflowContext): Promise<{ sent: boolean; message: string }> {
    const week = ctx.getParam<string>('week_ending');
    const tier = ctx.getParam<string>('tier');
    const top = ctx.getOutput<{ symbol: string; shares: number }[]>('aggregate', 'top', []);
    const rolling = ctx.getOutput<{ rollingRows?: number } | null>('rolling', undefined, null);
    const message =
      `FINRA OTC ${tier} week ${week}: ${ctx.getOutput('aggregate', 'symbols')} symbols, ` +
      `${ctx.getOutput('ingest', 'rejectedCount')} rows rejected; top ${top.map((t) => t.symbol).join(', ')}` +
      (rolling?.rollingRows !== undefined ? `; rolling metrics for ${rolling.rollingRows} symbols` : '; no rolling metrics yet');
    await this.notifier.send(week, tier, message);
    return { sent: true, message };
  }
}
