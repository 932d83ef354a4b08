import { IsBoolean, IsIn, IsOptional, IsString, ValidateBy, type ValidationOptions } from 'class-validator';
import { inject } from 'inversify';
import { Choice, ErrorPolicy, LambdaStep, PipelineStep, Schedule, Workflow, type ScheduleFire, type WorkflowContext } from 'spine-orchestration';
import { ROLLING_WEEKS } from './compute-rolling.pipeline';
import { isFriday, TIERS, type Tier } from './otc.format';
import { STEWARD_REVIEW_RATE, WeeklyRefreshSteps } from './weekly-refresh.handlers';

export { STEWARD_REVIEW_RATE, TIER_RECORD_RANGES } from './weekly-refresh.handlers';

/** A yyyy-mm-dd Friday: FINRA's weeks end on Fridays. */
export function IsWeekEnding(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isWeekEnding',
      validator: {
        validate: (value) => typeof value === 'string' && isFriday(value),
        defaultMessage: (args) => `${args?.property} must be a Friday date (a week ending) like 2026-10-23; got ${JSON.stringify(args?.value)}`,
      },
    },
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

/** FINRA publishes a week's NMS Tier 1 data two weeks after the week ends: a Friday fire refreshes the week that ended 14 days before. */
export function publishedWeek(fire: Pick<ScheduleFire, 'localDate'>): string {
  const day = new Date(`${fire.localDate}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - 14 - ((day.getUTCDay() + 2) % 7)); // the Friday on or before, two weeks back
  return day.toISOString().slice(0, 10);
}

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
  constructor(@inject(WeeklyRefreshSteps) private readonly steps: WeeklyRefreshSteps) {}

  @PipelineStep({ pipeline: 'finra.otc_transparency.ingest_week', retry: { maxAttempts: 2, initialDelayMs: 200, jitter: false } })
  ingest() {}

  /** The quality gate: at least 99 % of rows valid, and a row count in the tier's usual range. */
  @LambdaStep({ quality: { minValidRate: 0.99 } })
  validate(ctx: WorkflowContext) {
    return this.steps.validate(ctx);
  }

  @Choice({ then: 'stewardReview', otherwise: 'normalize' })
  needsReview(ctx: WorkflowContext): boolean {
    return ctx.getParam<boolean>('steward_review', false);
  }

  /** The soft gate: below 99.7 % valid rows the run parks until a data steward approves (goes on) or rejects (fails) the week. */
  @LambdaStep({ quality: { minValidRate: STEWARD_REVIEW_RATE }, qualityMode: 'approve' })
  stewardReview(ctx: WorkflowContext) {
    return this.steps.stewardReview(ctx);
  }

  @PipelineStep('finra.otc_transparency.normalize_week')
  normalize() {}

  @PipelineStep('finra.otc_transparency.aggregate_week')
  aggregate() {}

  @LambdaStep()
  checkHistory(ctx: WorkflowContext) {
    return this.steps.checkHistory(ctx);
  }

  @Choice({ then: 'rolling', otherwise: 'skipRolling' })
  hasHistory(ctx: WorkflowContext): boolean {
    return !ctx.getParam<boolean>('defer_rolling', false) && ctx.getOutput<number>('checkHistory', 'weeksAvailable') >= ROLLING_WEEKS;
  }

  @PipelineStep({ pipeline: 'finra.otc_transparency.compute_rolling', next: 'notify' })
  rolling() {}

  @LambdaStep()
  skipRolling(ctx: WorkflowContext) {
    return this.steps.skipRolling(ctx);
  }

  @LambdaStep({ onError: ErrorPolicy.CONTINUE })
  notify(ctx: WorkflowContext) {
    return this.steps.notify(ctx);
  }
}
