import { IsInt, IsNumber, IsPositive, IsString, Min } from 'class-validator';
import { inject, injectable } from 'inversify';
import { DataSource, MoreThan } from 'typeorm';
import { Choice, LambdaStep, StepResult, Wait, Workflow, type WorkflowContext } from 'spine-orchestration';
import { MdPriceUpdate } from './market.entities';

/**
 * Updates per symbol in a sliding window, kept in the database (`md_price_update`): the design's
 * `COUNT updates WHERE symbol = ? AND timestamp > NOW() - interval`, so every process — a worker,
 * a CLI call — counts the updates the others applied.
 */
@injectable()
export class UpdateRateLimiter {
  constructor(@inject(DataSource) private readonly dataSource: DataSource) {}

  /** When `symbol` was updated in the last `windowMs` before `now`, oldest first (epoch ms). */
  async recent(symbol: string, now: number, windowMs: number): Promise<number[]> {
    const rows = await this.dataSource.getRepository(MdPriceUpdate).find({
      select: { appliedAtMs: true },
      where: { symbol, appliedAtMs: MoreThan(now - windowMs) },
      order: { appliedAtMs: 'ASC' },
    });
    return rows.map((row) => row.appliedAtMs);
  }

  async record(symbol: string, price: number, at: number): Promise<void> {
    await this.dataSource.getRepository(MdPriceUpdate).insert({ symbol, price, appliedAtMs: at });
  }
}

export class RealtimeUpdateParams {
  @IsString()
  symbol!: string;

  @IsNumber()
  @Min(0)
  price!: number;

  /** Updates allowed per window (at least one: with none, every update would wait for an update that never came). */
  @IsInt()
  @Min(1)
  max_updates!: number;

  @IsPositive()
  window_seconds!: number;
}

/**
 * The design's example 5, a real-time price update with throttling: a rate check counts the
 * symbol's recent updates; over the limit it computes how long to wait (until the oldest update
 * leaves the window) and puts it in the context; a choice sends the run to a wait whose duration
 * is read from the context (`durationPath: 'wait_seconds'`, the design's `duration_path`), then
 * the update is processed.
 */
@Workflow({
  name: 'market.realtime_update',
  domain: 'market_data',
  description: 'Apply one price update, waiting when the symbol is over its update rate (wait computed from the context)',
  params: RealtimeUpdateParams,
  defaults: { max_updates: 3, window_seconds: 2 },
})
export class RealtimeUpdateWorkflow {
  constructor(@inject(UpdateRateLimiter) private readonly limiter: UpdateRateLimiter) {}

  @LambdaStep()
  async checkRate(ctx: WorkflowContext) {
    const symbol = ctx.getParam<string>('symbol');
    const windowMs = ctx.getParam<number>('window_seconds') * 1000;
    const recent = await this.limiter.recent(symbol, Date.now(), windowMs);
    if (recent.length >= ctx.getParam<number>('max_updates')) {
      const waitSeconds = Math.max(0, (recent[0]! + windowMs - Date.now()) / 1000);
      return StepResult.ok({ throttled: true, wait_seconds: waitSeconds, recent: recent.length }, { contextUpdates: { should_wait: true, wait_seconds: waitSeconds } });
    }
    return StepResult.ok({ throttled: false, recent: recent.length }, { contextUpdates: { should_wait: false } });
  }

  @Choice({ then: 'throttle', otherwise: 'process' })
  rateCheck(ctx: WorkflowContext): boolean {
    return ctx.getParam<boolean>('should_wait', false);
  }

  /** Waits the seconds the rate check put in the context. */
  @Wait({ durationPath: 'wait_seconds' })
  throttle() {}

  @LambdaStep()
  async process(ctx: WorkflowContext) {
    const symbol = ctx.getParam<string>('symbol');
    await this.limiter.record(symbol, ctx.getParam<number>('price'), Date.now());
    return { processed: true, symbol, price: ctx.getParam<number>('price') };
  }
}
