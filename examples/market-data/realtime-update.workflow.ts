import { IsInt, IsNumber, IsPositive, IsString, Min } from 'class-validator';
import { inject, injectable } from 'inversify';
import { Choice, LambdaStep, StepResult, Wait, Workflow, type WorkflowContext } from 'spine-orchestration';

/**
 * Updates per symbol in a sliding window, in this process (the example's stand-in for the
 * design's `COUNT updates WHERE symbol = ? AND timestamp > NOW() - interval`).
 */
@injectable()
export class UpdateRateLimiter {
  private readonly updates = new Map<string, number[]>();

  /** Updates of `symbol` in the last `windowMs` before `now`. */
  recent(symbol: string, now: number, windowMs: number): number[] {
    const kept = (this.updates.get(symbol) ?? []).filter((at) => at > now - windowMs);
    this.updates.set(symbol, kept);
    return kept;
  }

  record(symbol: string, at: number): void {
    this.updates.set(symbol, [...(this.updates.get(symbol) ?? []), at]);
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
  checkRate(ctx: WorkflowContext) {
    const symbol = ctx.getParam<string>('symbol');
    const windowMs = ctx.getParam<number>('window_seconds') * 1000;
    const recent = this.limiter.recent(symbol, Date.now(), windowMs);
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
  process(ctx: WorkflowContext) {
    const symbol = ctx.getParam<string>('symbol');
    this.limiter.record(symbol, Date.now());
    return { processed: true, symbol, price: ctx.getParam<number>('price') };
  }
}
