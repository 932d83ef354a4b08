import { IsIn, IsOptional, IsString } from 'class-validator';
import { inject } from 'inversify';
import { ErrorCategory, LambdaStep, MapStep, PipelineStep, StepError, Workflow, type WorkflowContext } from 'spine-orchestration';
import { ROLLING_WEEKS, rollingWindow } from './compute-rolling.pipeline';
import { fridaysBetween, TIERS, type Tier } from './otc.format';
import { OtcRepository } from './otc.repository';
import { IsWeekEnding, WeeklyRefreshWorkflow } from './weekly-refresh.workflow';

/** A backfill's params: the first and last week ending (Fridays) and the tier. */
export class BackfillParams {
  @IsWeekEnding()
  from!: string;

  @IsWeekEnding()
  to!: string;

  @IsIn(TIERS, { message: `tier must be one of: ${TIERS.join(', ')}` })
  tier!: Tier;

  /** Simulates the source being down for one week: the backfill fails there and can be resumed. */
  @IsOptional()
  @IsString()
  fail_week?: string;
}

/**
 * Loads every week between two dates: each week is a weekly refresh — a distributed map item, a
 * run of its own on the 'finra' queue, so every worker serving that queue shares the weeks (the
 * process running the backfill works on three at a time itself), and a resume re-runs only the
 * weeks that did not finish — then rolling metrics in week order, then a summary.
 */
@Workflow({
  name: 'finra.backfill',
  domain: 'finra.otc_transparency',
  description: 'Load a range of weeks (map over weekly refreshes), then rolling metrics in order',
  params: BackfillParams,
  defaults: { tier: 'NMS Tier 1', defer_rolling: true },
})
export class BackfillWorkflow {
  constructor(@inject(OtcRepository) private readonly repository: OtcRepository) {}

  @LambdaStep()
  weeks(ctx: WorkflowContext) {
    const from = ctx.getParam<string>('from');
    const to = ctx.getParam<string>('to');
    if (from > to) throw new StepError(`from ${from} is after to ${to}; swap them`, ErrorCategory.VALIDATION);
    return { weeks: fridaysBetween(from, to) };
  }

  @MapStep({ itemParam: 'week_ending', iterator: WeeklyRefreshWorkflow, maxConcurrency: 3, distribute: true })
  refresh(ctx: WorkflowContext) {
    return ctx.getOutput<string[]>('weeks', 'weeks');
  }

  /** Rolling metrics for every backfilled week that has six weeks of aggregates, oldest first. */
  @PipelineStep('finra.otc_transparency.compute_rolling')
  async rolling(ctx: WorkflowContext) {
    const tier = ctx.getParam<Tier>('tier');
    const weeks = ctx.getOutput<string[]>('weeks', 'weeks');
    const eligible: string[] = [];
    for (const week of weeks) {
      if ((await this.repository.aggregatedWeeks(tier, rollingWindow(week))).length === ROLLING_WEEKS) eligible.push(week);
    }
    return { weeks: eligible };
  }

  @LambdaStep()
  async summary(ctx: WorkflowContext) {
    const tier = ctx.getParam<Tier>('tier');
    const weeks = ctx.getOutput<string[]>('weeks', 'weeks');
    const counts = await this.repository.countsFor(tier, weeks);
    return { tier, weeks: weeks.length, from: weeks[0] ?? null, to: weeks[weeks.length - 1] ?? null, rollingWeeks: ctx.getOutput<string[]>('rolling', 'weeks').length, ...counts };
  }
}
