import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ErrorPolicy, LambdaStep, PipelineStep, StepResult, Workflow, type WorkflowContext } from 'spine-orchestration';
import { OtcSymbolWeek } from '../finra-otc/finra.entities';
import { TIER_RECORD_RANGES, WeeklyRefreshParams } from '../finra-otc/weekly-refresh.workflow';
import type { Tier } from '../finra-otc/otc.format';
import { WeeklyReportService } from './weekly-report.service';

/**
 * The FINRA weekly refresh as a Nest provider: the FINRA example's pipelines (also providers)
 * do the heavy work; the workflow's own steps use a TypeORM repository injected by
 * `@InjectRepository` and a Nest service.
 */
@Injectable()
@Workflow({
  name: 'finra.weekly_refresh',
  domain: 'finra.otc_transparency',
  description: 'Refresh one week of one tier of FINRA OTC transparency data (Nest)',
  params: WeeklyRefreshParams,
  defaults: { tier: 'NMS Tier 1' },
})
export class NestWeeklyRefreshWorkflow {
  constructor(
    @InjectRepository(OtcSymbolWeek) private readonly symbolWeeks: Repository<OtcSymbolWeek>,
    private readonly reports: WeeklyReportService,
  ) {}

  @PipelineStep({ pipeline: 'finra.otc_transparency.ingest_week', retry: { maxAttempts: 2, initialDelayMs: 200 } })
  ingest() {}

  @LambdaStep({ quality: { minValidRate: 0.99 } })
  validate(ctx: WorkflowContext) {
    const ingest = ctx.getOutput<{ rowCount: number; validCount: number }>('ingest');
    const [low, high] = TIER_RECORD_RANGES[ctx.getParam<Tier>('tier')];
    const quality = { recordCount: ingest.rowCount, validCount: ingest.validCount };
    if (ingest.rowCount < low || ingest.rowCount > high) return StepResult.fail(`${ingest.rowCount} rows; expected ${low}–${high}`, { quality });
    return StepResult.ok({ validRows: ingest.validCount }, { quality });
  }

  @PipelineStep('finra.otc_transparency.normalize_week')
  normalize() {}

  @PipelineStep('finra.otc_transparency.aggregate_week')
  aggregate() {}

  /** Reads the week's top symbols back through the injected TypeORM repository. */
  @LambdaStep()
  async topSymbols(ctx: WorkflowContext) {
    const rows = await this.symbolWeeks.find({
      where: { weekEnding: ctx.getParam('week_ending'), tier: ctx.getParam('tier') },
      order: { totalShares: 'DESC' },
      take: 5,
    });
    return { top: rows.map((r) => ({ symbol: r.symbol, totalShares: r.totalShares, venues: r.venueCount })) };
  }

  @LambdaStep({ onError: ErrorPolicy.CONTINUE })
  report(ctx: WorkflowContext) {
    const top = ctx.getOutput<{ symbol: string; totalShares: number }[]>('topSymbols', 'top');
    return { message: this.reports.send(ctx.getParam('tier'), ctx.getParam('week_ending'), top) };
  }
}
