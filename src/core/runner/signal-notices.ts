import type { Clock } from '../clock/clock.port';

/**
 * Wakes signal waits of runs executing in this process when this process sent the signal (they
 * also look at the store every so often, for signals sent from other processes).
 */
export class SignalNotices {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** A signal was sent to `runId` from here: its waits look now. */
  notify(runId: string): void {
    for (const wake of this.waiters.get(runId) ?? []) wake();
  }

  /** Resolves after `ms`, or sooner when a signal to `runId` is sent from here; rejects when `abort` is aborted. */
  wait(clock: Clock, runId: string, ms: number, abort: AbortSignal): Promise<void> {
    const local = new AbortController();
    let waiters = this.waiters.get(runId);
    if (waiters === undefined) this.waiters.set(runId, (waiters = new Set()));
    const wake = (): void => local.abort();
    waiters.add(wake);
    const forget = (): void => {
      waiters.delete(wake);
      if (waiters.size === 0) this.waiters.delete(runId);
    };
    return clock.sleep(ms, AbortSignal.any([abort, local.signal])).then(forget, (error: unknown) => {
      forget();
      if (!abort.aborted) return; // woken by a notice
      throw error;
    });
  }
}
