import { IsDateString, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { inject } from 'inversify';
import { Choice, ErrorPolicy, LambdaStep, PipelineStep, StepResult, Workflow, type WorkflowContext } from 'spine-orchestration';
import { ConsoleNotifier, type OtcRow } from './services';

export const TIERS = ['NMS Tier 1', 'NMS Tier 2', 'OTC'] as const;

/** The params of a weekly refresh: checked and converted before a run starts. */
export class WeeklyRefreshParams {
  @IsDateString({ strict: true }, { message: 'week_ending must be a date like 2026-01-09' })
  week_ending!: string;

  @IsIn(TIERS)
  tier!: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  top?: number;
}

/** ingest → validate (quality gate) → normalize → choice → rolling or skip → notify (failures tolerated). */
@Workflow({
  name: 'finra.weekly_refresh',
  domain: 'finra.otc_transparency',
  description: 'Refresh one week of one tier of FINRA OTC transparency data',
  params: WeeklyRefreshParams,
  defaults: { tier: 'NMS Tier 1', top: 3 },
})
export class WeeklyRefreshWorkflow {
  constructor(@inject(ConsoleNotifier) private readonly notifier: ConsoleNotifier) {}

  @PipelineStep('finra.otc_transparency.ingest_week')
  ingest(ctx: WorkflowContext) {
    return { tier: ctx.getParam('tier') };
  }

  @LambdaStep({ quality: { minValidRate: 0.9, minRecordCount: 10 } })
  validate(ctx: WorkflowContext) {
    const rows = ctx.getOutput<OtcRow[]>('ingest', 'rows', []);
    const valid = rows.filter((r) => r.issueSymbolIdentifier !== '' && r.totalWeeklyShareQuantity >= 0);
    return StepResult.ok(
      { valid },
      { quality: { recordCount: rows.length, validCount: valid.length, nullCount: rows.length - valid.length } },
    );
  }

  @LambdaStep()
  normalize(ctx: WorkflowContext) {
    const bySymbol = new Map<string, { shares: number; trades: number; venues: number }>();
    for (const row of ctx.getOutput<OtcRow[]>('validate', 'valid', [])) {
      const agg = bySymbol.get(row.issueSymbolIdentifier) ?? { shares: 0, trades: 0, venues: 0 };
      bySymbol.set(row.issueSymbolIdentifier, {
        shares: agg.shares + row.totalWeeklyShareQuantity,
        trades: agg.trades + row.totalWeeklyTradeCount,
        venues: agg.venues + 1,
      });
    }
    const symbols = [...bySymbol].map(([symbol, agg]) => ({ symbol, ...agg })).sort((a, b) => b.shares - a.shares);
    return { symbols };
  }

  @Choice({ then: 'rolling', otherwise: 'skipRolling' })
  hasHistory(ctx: WorkflowContext): boolean {
    return ctx.getParam('week_ending', '') >= '2026-02-13';
  }

  @LambdaStep({ next: 'notify' })
  rolling() {
    return { rolling: 'computed over 6 weeks' };
  }

  @LambdaStep()
  skipRolling() {
    return { rolling: 'skipped: fewer than 6 weeks of history' };
  }

  @LambdaStep({ onError: ErrorPolicy.CONTINUE })
  async notify(ctx: WorkflowContext) {
    const top = ctx.getOutput<{ symbol: string }[]>('normalize', 'symbols', []).slice(0, ctx.getParam<number>('top'));
    await this.notifier.send(`${ctx.getParam('tier')} week ${ctx.getParam('week_ending')}: top ${top.map((s) => s.symbol).join(', ')}`);
    return { sent: true };
  }
}
