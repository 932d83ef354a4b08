import type { Clock } from '../clock/clock.port';
import type { RunStore } from '../store/run-store.port';
import type { LeaseSettings } from './run-execution';

/** What the heartbeat learned at its last renewal. */
export interface LeaseState {
  /** Another process took the lease over: stop writing. */
  lost: boolean;
  /** Someone asked to cancel the run. */
  cancelRequested: boolean;
}

/**
 * Renews a run's lease every `heartbeatMs` on the given clock, noting in `state` a lost lease or
 * a cancellation request for the next step boundary. A failing store is left to the next step
 * write to report. Returns the function that stops it.
 */
export function startHeartbeat(
  store: RunStore,
  clock: Clock,
  lease: LeaseSettings,
  runId: string,
  state: LeaseState,
): () => void {
  let cancelTimer: (() => void) | null = null;
  let stopped = false;
  const tick = (): void => {
    store
      .renewLease(runId, { owner: lease.owner, expiresAt: new Date(clock.now() + lease.durationMs) })
      .then(({ held, cancelRequested }) => {
        if (!held) state.lost = true;
        if (cancelRequested) state.cancelRequested = true;
      })
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) cancelTimer = clock.setTimer(lease.heartbeatMs, tick);
      });
  };
  cancelTimer = clock.setTimer(lease.heartbeatMs, tick);
  return () => {
    stopped = true;
    cancelTimer?.();
  };
}
