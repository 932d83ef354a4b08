import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { inject } from 'inversify';
import { LambdaStep, MapStep, PipelineStep, StepResult, Workflow, type WorkflowContext } from 'spine-orchestration';
import { EXCHANGES, monthsBetween } from './market.format';
import { MarketRepository } from './market.repository';

/** One month partition: load it, then report its stale prices and extreme moves (a warning, not a stop). */
@Workflow({ name: 'market.backfill_month', domain: 'market_data', description: 'Load one month partition of daily closes' })
export class BackfillMonthWorkflow {
  @PipelineStep('market.load_month')
  load() {}

  @LambdaStep({ quality: { maxNullRate: 0.01 }, qualityMode: 'warn' })
  check(ctx: WorkflowContext) {
    const load = ctx.getOutput<{ rows: number; stale: string[]; extreme: unknown[] }>('load');
    return StepResult.ok(
      { month: ctx.getParam('month'), stale: load.stale.length, extreme: load.extreme },
      { quality: { recordCount: load.rows, validCount: load.rows - load.stale.length - load.extreme.length, nullCount: load.stale.length } },
    );
  }
}

/** The months to backfill. */
export class MarketBackfillParams {
  @Matches(/^\d{4}-(0[1-9]|1[0-2])$/, { message: 'from must be a month like 2026-01' })
  from!: string;

  @Matches(/^\d{4}-(0[1-9]|1[0-2])$/, { message: 'to must be a month like 2026-03' })
  to!: string;

  @IsIn(EXCHANGES, { message: `exchange must be one of: ${EXCHANGES.join(', ')}` })
  exchange!: string;

  @IsOptional()
  @IsString()
  dataset?: string;
}

/**
 * Historical backfill partitioned by month: months already loaded are skipped, the others run as
 * map items one after another (each month's first day needs the previous month's last close).
 */
@Workflow({
  name: 'market.backfill',
  domain: 'market_data',
  description: 'Backfill daily closes month by month, skipping months already loaded',
  params: MarketBackfillParams,
  defaults: { exchange: 'XNYS', dataset: 'daily_close' },
})
export class MarketBackfillWorkflow {
  constructor(@inject(MarketRepository) private readonly repository: MarketRepository) {}

  @LambdaStep()
  async partitions(ctx: WorkflowContext) {
    const months = monthsBetween(ctx.getParam('from'), ctx.getParam('to'));
    const done = new Set(await this.repository.donePartitions(ctx.getParam('dataset')));
    return { todo: months.filter((m) => !done.has(m)), skipped: months.filter((m) => done.has(m)) };
  }

  @MapStep({ itemParam: 'month', iterator: BackfillMonthWorkflow, maxConcurrency: 1 })
  months(ctx: WorkflowContext) {
    return ctx.getOutput<string[]>('partitions', 'todo');
  }

  @LambdaStep()
  summary(ctx: WorkflowContext) {
    const loaded = ctx.getOutput<{ results: ({ month: string; stale: number; extreme: unknown[] } | null)[] }>('months').results.filter((r) => r !== null);
    return { loaded: loaded.map((r) => r!.month), skipped: ctx.getOutput<string[]>('partitions', 'skipped'), extremeMoves: loaded.flatMap((r) => r!.extreme) };
  }
}
