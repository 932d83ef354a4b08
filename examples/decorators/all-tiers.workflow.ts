import { MapStep, Workflow } from 'spine-orchestration';
import { TIERS, WeeklyRefreshWorkflow } from './weekly-refresh.workflow';

/** The weekly refresh for every tier at once, each tier a run of the weekly refresh class. */
@Workflow({ name: 'finra.all_tiers', domain: 'finra.otc_transparency', defaults: { tiers: [...TIERS] } })
export class AllTiersWorkflow {
  @MapStep({ itemsFrom: 'params.tiers', itemParam: 'tier', iterator: WeeklyRefreshWorkflow, maxConcurrency: 3 })
  perTier() {}
}
