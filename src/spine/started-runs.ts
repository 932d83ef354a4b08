import type { RunEvent, RunEventListener } from '../core/runner/run-event';

/**
 * Tells `start` when its run has been recorded (the run's `run_started` event), and passes every
 * event on to the application's listener.
 */
export class StartedRuns {
  private readonly waiting = new Map<string, () => void>();

  constructor(private readonly listener: RunEventListener | undefined) {}

  readonly onEvent = (event: RunEvent): void => {
    if (event.type === 'run_started' && event.parentRunId === undefined) this.waiting.get(event.runId)?.();
    this.listener?.(event);
  };

  waitFor(runId: string): { promise: Promise<void>; cancel(): void } {
    const promise = new Promise<void>((resolve) => this.waiting.set(runId, resolve));
    return { promise, cancel: () => void this.waiting.delete(runId) };
  }
}
