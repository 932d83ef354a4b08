import { IsArray, IsDateString, IsIn, IsOptional } from 'class-validator';
import { inject } from 'inversify';
import { Choice, END, ErrorCategory, LambdaStep, PipelineStep, StepError, StepResult, Workflow, type WorkflowContext } from 'spine-orchestration';
import { DEFAULT_SOURCES, EXCHANGES } from './market.format';
import { MarketRepository } from './market.repository';
import { sessionOf } from './trading-calendar';

/** The day to load, the exchange whose calendar decides, and the sources in order of trust. */
export class DailyPricesParams {
  @IsDateString({ strict: true }, { message: 'date must be a date like 2026-03-12' })
  date!: string;

  @IsIn(EXCHANGES, { message: `exchange must be one of: ${EXCHANGES.join(', ')}` })
  exchange!: string;

  @IsOptional()
  @IsArray()
  @IsIn(DEFAULT_SOURCES, { each: true, message: `each of sources must be one of: ${DEFAULT_SOURCES.join(', ')}` })
  sources?: string[];
}

/** Reads the exchange's calendar for a date from md_calendar_day; fails when it was never synced. */
export async function sessionFromCalendar(repository: MarketRepository, exchange: string, date: string) {
  const entries = await repository.calendar(exchange, date.slice(0, 4));
  if (entries.length === 0) {
    throw new StepError(
      `no calendar entries for ${exchange} in ${date.slice(0, 4)}: run \`spine run market.calendar_sync\` first (the shipped calendars cover 2025–2027)`,
      ErrorCategory.CONFIGURATION,
    );
  }
  return sessionOf(
    exchange,
    date,
    entries.map((e) => ({ date: e.date, kind: e.kind as 'holiday' | 'early_close', name: e.name, ...(e.closeTime !== null && { closeTime: e.closeTime }) })),
  );
}

/**
 * The daily price feed: consult the exchange calendar, skip weekends and holidays (a choice),
 * aggregate the sources by priority, then a quality gate: at most 5 % stale prices and no move
 * over 50 %.
 */
@Workflow({
  name: 'market.daily_prices',
  domain: 'market_data',
  description: 'Load one day of closes: calendar check, multi-source aggregation, stale/extreme-move gate',
  params: DailyPricesParams,
  defaults: { exchange: 'XNYS', sources: [...DEFAULT_SOURCES] },
})
export class DailyPricesWorkflow {
  constructor(@inject(MarketRepository) private readonly repository: MarketRepository) {}

  @LambdaStep()
  session(ctx: WorkflowContext) {
    return sessionFromCalendar(this.repository, ctx.getParam('exchange'), ctx.getParam('date'));
  }

  @Choice({ then: 'aggregate', otherwise: 'notTradingDay' })
  isTradingDay(ctx: WorkflowContext): boolean {
    return ctx.getOutput<boolean>('session', 'trading');
  }

  @LambdaStep({ next: END })
  notTradingDay(ctx: WorkflowContext) {
    return { skipped: true, reason: `${ctx.getParam('exchange')} is closed on ${ctx.getParam('date')} (${ctx.getOutput('session', 'note')})` };
  }

  @PipelineStep('market.aggregate_prices')
  aggregate() {}

  /** Stale prices (nobody had a fresh one) count as nulls: at most 5 %. Any move over 50 % stops the day. */
  @LambdaStep({ quality: { maxNullRate: 0.05 } })
  gate(ctx: WorkflowContext) {
    const day = ctx.getOutput<{ symbols: number; stale: string[]; extreme: { symbol: string; changePct: number; source: string }[] }>('aggregate');
    const quality = { recordCount: day.symbols, validCount: day.symbols - day.stale.length - day.extreme.length, nullCount: day.stale.length };
    if (day.extreme.length > 0) {
      const moves = day.extreme.map((e) => `${e.symbol} ${(e.changePct * 100).toFixed(0)}% (${e.source})`).join(', ');
      return StepResult.fail(`moves over 50 % on ${ctx.getParam('date')}: ${moves}; check the source before publishing`, {
        category: ErrorCategory.DATA_QUALITY,
        quality: { ...quality, failureReasons: [`extreme moves: ${moves}`] },
      });
    }
    return StepResult.ok({ published: day.symbols, stale: day.stale }, { quality });
  }
}
