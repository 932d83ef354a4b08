import { ArrayNotEmpty, IsArray, IsIn } from 'class-validator';
import { LambdaStep, MapStep, Workflow, type WorkflowContext } from 'spine-orchestration';
import { TIERS, type Tier } from './otc.format';
import { IsWeekEnding, WeeklyRefreshWorkflow } from './weekly-refresh.workflow';

/** The week to refresh, and which tiers (all three by default). */
export class AllTiersParams {
  @IsWeekEnding()
  week_ending!: string;

  @IsArray()
  @ArrayNotEmpty()
  @IsIn(TIERS, { each: true, message: `each of tiers must be one of: ${TIERS.join(', ')}` })
  tiers!: Tier[];
}

/** The weekly refresh of one week for every tier at once: each tier a weekly refresh run, in parallel. */
@Workflow({
  name: 'finra.all_tiers',
  domain: 'finra.otc_transparency',
  description: 'Refresh one week for NMS Tier 1, NMS Tier 2 and OTC in parallel',
  params: AllTiersParams,
  defaults: { tiers: [...TIERS] },
})
export class AllTiersWorkflow {
  @MapStep({ itemsFrom: 'params.tiers', itemParam: 'tier', iterator: WeeklyRefreshWorkflow, maxConcurrency: 3 })
  perTier() {}

  @LambdaStep()
  summary(ctx: WorkflowContext) {
    const map = ctx.getOutput<{ results: ({ message?: string } | null)[]; succeeded: number; total: number }>('perTier');
    return { tiersRefreshed: map.succeeded, tiers: map.total, notes: map.results.map((r) => r?.message ?? null) };
  }
}
