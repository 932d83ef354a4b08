import { ArrayNotEmpty, IsArray, IsIn } from 'class-validator';
import { LambdaStep, MapStep, PipelineStep, Workflow, type WorkflowContext } from 'spine-orchestration';
import { EXCHANGES } from './market.format';

/** One exchange's calendar sync (the iterator of `market.calendar_sync`). */
@Workflow({ name: 'market.calendar_sync_exchange', domain: 'market_data', description: "Sync one exchange's holidays and early closes" })
export class CalendarSyncExchangeWorkflow {
  @PipelineStep({ pipeline: 'market.sync_calendar', retry: { maxAttempts: 3, initialDelayMs: 100 } })
  sync() {}
}

/** Which exchanges to sync. */
export class CalendarSyncParams {
  @IsArray()
  @ArrayNotEmpty()
  @IsIn(EXCHANGES, { each: true, message: `each of exchanges must be one of: ${EXCHANGES.join(', ')}` })
  exchanges!: string[];
}

/** Syncs the calendars of several exchanges, one map item per exchange. */
@Workflow({
  name: 'market.calendar_sync',
  domain: 'market_data',
  description: 'Sync the trading calendars of several exchanges (map over exchanges)',
  params: CalendarSyncParams,
  defaults: { exchanges: [...EXCHANGES] },
})
export class CalendarSyncWorkflow {
  @MapStep({ itemsFrom: 'params.exchanges', itemParam: 'exchange', iterator: CalendarSyncExchangeWorkflow, maxConcurrency: 3 })
  exchanges() {}

  @LambdaStep()
  summary(ctx: WorkflowContext) {
    const results = ctx.getOutput<{ results: ({ exchange: string; holidays: number; earlyCloses: number } | null)[] }>('exchanges').results;
    return { synced: results.filter((r) => r !== null).map((r) => `${r!.exchange}: ${r!.holidays} holidays, ${r!.earlyCloses} early closes`) };
  }
}
