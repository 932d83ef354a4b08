import { IsBoolean, IsIn, IsOptional, IsString, ValidateBy, type ValidationOptions } from 'class-validator';
import { inject } from 'inversify';
import { Choice, ErrorCategory, ErrorPolicy, LambdaStep, PipelineStep, Schedule, StepResult, Workflow, type ScheduleFire, type WorkflowContext } from 'spine-orchestration';
import { ROLLING_WEEKS, rollingWindow } from './compute-rolling.pipeline';
import { isFriday, TIERS, type Tier } from './otc.format';
import { OtcNotifier } from './otc.notifier';
import { OtcRepository } from './otc.repository';

/** A yyyy-mm-dd Friday: FINRA's weeks end on Fridays. */
export function IsWeekEnding(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: 'isWeekEnding', validator: { validate: (value) => typeof value === 'string' && isFriday(value), defaultMessage: (args) => `${args?.property} must be a Friday date (a week ending) like 2026-10-23; got ${JSON.stringify(args?.value)}` } },
    options,
  );
}

/** The params of a weekly refresh, checked and converted before a run starts. */
export class WeeklyRefreshParams {
  @IsWeekEnding()
  week_ending!: string;

  @IsIn(TIERS, { message: `tier must be one of: ${TIERS.join(', ')}` })
  tier!: Tier;

  /** Simulates the source being down for this week (to show failure and resume). */
  @IsOptional()
  @IsString()
  fail_week?: string;

  /** Leave rolling metrics to the caller (a backfill computes them in week order at its end). */
  @IsOptional()
  @IsBoolean()
  defer_rolling?: boolean;

  /** A data steward approves a week whose valid rate is below the review threshold (scheduled runs ask for it). */
  @IsOptional()
  @IsBoolean()
  steward_review?: boolean;
}

/** Valid rows below this share (but above the hard gate) wait for a data steward when `steward_review` is on. */
export const STEWARD_REVIEW_RATE = 0.997;

/** FINRA publishes a week's NMS Tier 1 data two weeks after the week ends: a Friday fire refreshes the week that ended 14 days before. */
export function publishedWeek(fire: Pick<ScheduleFire, 'localDate'>): string {
  const day = new Date(`${fire.localDate}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - 14 - ((day.getUTCDay() + 2) % 7)); // the Friday on or before, two weeks back
  return day.toISOString().slice(0, 10);
}

/** Smallest and largest plausible row counts of a weekly file, per tier. */
export const TIER_RECORD_RANGES: Readonly<Record<Tier, readonly [number, number]>> = {
  'NMS Tier 1': [500, 1500],
  'NMS Tier 2': [250, 800],
  OTC: [150, 800],
};

/**
 * One week of one tier: ingest → validate (quality gate) → steward review when asked (a week below
 * 99.7 % valid waits for a person's approval) → normalize → aggregate → check history → rolling
 * metrics when six weeks are there (else skipped) → notify (a failed notification does not fail
 * the refresh). Scheduled every Friday at 18:00 New York time for NMS Tier 1, with review.
 */
@Schedule('0 18 * * FRI', {
  name: 'finra.weekly_refresh.nms_tier_1',
  timezone: 'America/New_York',
  params: (_fireTime, fire) => ({ week_ending: publishedWeek(fire), tier: 'NMS Tier 1', steward_review: true }),
  catchUp: 'latest',
  description: 'Every Friday 18:00 New York: the NMS Tier 1 week FINRA published (ended two weeks before), with steward review',
})
@Workflow({
  name: 'finra.weekly_refresh',
  domain: 'finra.otc_transparency',
  description: 'Refresh one week of one tier of FINRA OTC transparency data',
  params: WeeklyRefreshParams,
  defaults: { tier: 'NMS Tier 1', defer_rolling: false, steward_review: false },
  queue: 'finra',
})
export class WeeklyRefreshWorkflow {
  constructor(
    @inject(OtcRepository) private readonly repository: OtcRepository,
    @inject(OtcNotifier) private readonly notifier: OtcNotifier,
  ) {}

  @PipelineStep({ pipeline: 'finra.otc_transparency.ingest_week', retry: { maxAttempts: 2, initialDelayMs: 200, jitter: false } })
  ingest() {}

  /** The quality gate: at least 99 % of rows valid, and a row count in the tier's usual range. */
  @LambdaStep({ quality: { minValidRate: 0.99 } })
  validate(ctx: WorkflowContext) {
    const ingest = ctx.getOutput<{ rowCount: number; validCount: number; rejectedCount: number; rejectReasons: Record<string, number> }>('ingest');
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

  @Choice({ then: 'stewardReview', otherwise: 'normalize' })
  needsReview(ctx: WorkflowContext): boolean {
    return ctx.getParam<boolean>('steward_review', false);
  }

  /** The soft gate: below 99.7 % valid rows the run parks until a data steward approves (goes on) or rejects (fails) the week. */
  @LambdaStep({ quality: { minValidRate: STEWARD_REVIEW_RATE }, qualityMode: 'approve' })
  stewardReview(ctx: WorkflowContext) {
    const ingest = ctx.getOutput<{ rowCount: number; validCount: number; rejectedCount: number; rejectReasons: Record<string, number> }>('ingest');
    return StepResult.ok(
      { reviewed: true, rejected: ingest.rejectReasons },
      { quality: { recordCount: ingest.rowCount, validCount: ingest.validCount, invalidCount: ingest.rejectedCount } },
    );
  }

  @PipelineStep('finra.otc_transparency.normalize_week')
  normalize() {}

  @PipelineStep('finra.otc_transparency.aggregate_week')
  aggregate() {}

  @LambdaStep()
  async checkHistory(ctx: WorkflowContext) {
    const window = rollingWindow(ctx.getParam<string>('week_ending'));
    const present = await this.repository.aggregatedWeeks(ctx.getParam('tier'), window);
    return { weeksAvailable: present.length, weeksNeeded: ROLLING_WEEKS, window };
  }

  @Choice({ then: 'rolling', otherwise: 'skipRolling' })
  hasHistory(ctx: WorkflowContext): boolean {
    return !ctx.getParam<boolean>('defer_rolling', false) && ctx.getOutput<number>('checkHistory', 'weeksAvailable') >= ROLLING_WEEKS;
  }

  @PipelineStep({ pipeline: 'finra.otc_transparency.compute_rolling', next: 'notify' })
  rolling() {}

  @LambdaStep()
  skipRolling(ctx: WorkflowContext) {
    const reason = ctx.getParam<boolean>('defer_rolling', false)
      ? 'deferred to the caller'
      : `${ctx.getOutput('checkHistory', 'weeksAvailable')} of ${ROLLING_WEEKS} weeks of history`;
    return { rolling: 'skipped', reason };
  }

  @LambdaStep({ onError: ErrorPolicy.CONTINUE })
  async notify(ctx: WorkflowContext) {
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
