import type { Clock } from '../core/clock/clock.port';

interface Timer {
  readonly at: number;
  readonly callback: () => void;
  /** A `sleep` (something waits on it) rather than a timer. */
  readonly sleep?: true;
}

/**
 * A clock for tests. Time moves only by `advance(ms)` or, with `autoAdvance` (the default), by
 * `sleep`: a sleeping run jumps straight to its wake-up time, so waits and retry back-offs take
 * no real time.
 */
export class FakeClock implements Clock {
  private current: number;
  private readonly timers = new Set<Timer>();
  private readonly autoAdvance: boolean;
  /** Every sleep requested, in milliseconds, in order (to assert back-off delays). */
  readonly sleeps: number[] = [];

  constructor(options: { readonly start?: Date | number; readonly autoAdvance?: boolean } = {}) {
    const start = options.start ?? Date.UTC(2026, 0, 1);
    this.current = start instanceof Date ? start.getTime() : start;
    this.autoAdvance = options.autoAdvance ?? true;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.autoAdvance) {
      this.advance(ms);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const timer: Timer = {
        at: this.current + ms,
        sleep: true,
        callback: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.timers.delete(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.add(timer);
    });
  }

  setTimer(ms: number, callback: () => void): () => void {
    const timer: Timer = { at: this.current + ms, callback };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /** Moves time forward and fires every timer that falls due, in time order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let due: Timer | undefined;
      for (const timer of this.timers) if (timer.at <= target && (due === undefined || timer.at < due.at)) due = timer;
      if (due === undefined) break;
      this.timers.delete(due);
      this.current = Math.max(this.current, due.at);
      due.callback();
    }
    this.current = target;
  }

  /** Timers and sleeps still waiting for time to pass. */
  get pending(): number {
    return this.timers.size;
  }

  /** Sleeps still waiting for time to pass (each holds up whoever awaits it). */
  get sleepers(): number {
    let count = 0;
    for (const timer of this.timers) if (timer.sleep === true) count++;
    return count;
  }

  /** When the earliest pending timer or sleep falls due (epoch ms), or null when none is pending. */
  get nextTimerAt(): number | null {
    let next: number | null = null;
    for (const timer of this.timers) if (next === null || timer.at < next) next = timer.at;
    return next;
  }
}
