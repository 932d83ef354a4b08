import { LeaseLostError } from '../errors/spine-error';
import { RunCancelledError, RunHaltedError, RunTimeoutError } from '../errors/step-timeout.error';
import type { LeaseGuard } from './lease-guard';
import type { RunSettings } from './run-settings';

const NO_OP = (): void => undefined;

/** How a run ends at a step boundary instead of going on. */
export type Halt = 'cancelled' | 'stopped' | 'handoff' | 'timeout';

/**
 * How a run is told to stop, and what each reason means. One signal is handed to the running
 * step; it is aborted with the reason: a cancel (the run ends 'cancelled'), a halt of a map item
 * by its failing map (the item stops unfinished: 'stopped'), or a lost claim (the execution ends
 * with `LeaseLostError`). Stops and hand-offs are asked for by the caller's signals and only
 * take effect at the next step boundary.
 */
export class RunControl {
  /** The run's own controller; null for a map item, which is told through its map's signal. */
  private readonly controller: AbortController | null;
  readonly signal: AbortSignal;
  /** The run's own deadline, once it ran out (an item also sees its map's run time out: that stops it unrecorded). */
  private ownTimeout: RunTimeoutError | null = null;

  // few listen to the run's own signal at once (the running attempt, a wait, a map step), so it
  // keeps Node's default listener limit
  constructor(
    private readonly settings: RunSettings,
    /** The run has a deadline of its own (a map item of a workflow with `timeoutMs`): it needs its own controller. */
    ownDeadline = false,
  ) {
    // a map item is cancelled, halted or ended only with its map: it uses the map's signal as its
    // own (an AbortController per item would cost more than the item), unless it has a deadline of its own
    const borrowed = settings.parentRunId !== null && !ownDeadline ? settings.signal : null;
    this.controller = borrowed === null ? new AbortController() : null;
    this.signal = borrowed ?? this.controller!.signal;
  }

  /** Cancels the run: it stops at its next step boundary, and its running step's signal is aborted now. */
  cancel(reason?: unknown): void {
    if (!this.signal.aborted) this.controller?.abort(new RunCancelledError(reason));
  }

  /** The workflow's run timeout ran out: the running step is aborted and the run fails with TIMEOUT. */
  timeOut(error: RunTimeoutError): void {
    if (this.signal.aborted || this.controller === null) return;
    this.ownTimeout = error;
    this.controller.abort(error);
  }

  /** The claim is stale: the running step is aborted and the execution ends at once. */
  lose(error: LeaseLostError): void {
    if (!this.signal.aborted) this.controller?.abort(error);
  }

  /**
   * Follows the caller's signal: a halt or a lost claim passes on as it is, anything else
   * cancels. Returns the function that stops following it. (A map item needs none: its signal is
   * its map's.)
   */
  follow(external: AbortSignal | null): () => void {
    if (external === null || this.controller === null) return NO_OP;
    const onAbort = (): void => {
      const reason: unknown = external.reason;
      // a halt, a lost claim, a map's run timing out pass on as they are (a map item follows its map's signal)
      if (reason instanceof RunHaltedError || reason instanceof LeaseLostError || reason instanceof RunTimeoutError) {
        if (!this.signal.aborted) this.controller!.abort(reason);
      } else this.cancel(reason);
    };
    if (external.aborted) onAbort();
    else external.addEventListener('abort', onAbort, { once: true });
    return () => external.removeEventListener('abort', onAbort);
  }

  /** Why the run does not go on at this boundary (null: it goes on); throws when the claim was lost. */
  halt(guard: LeaseGuard | null): Halt | null {
    if (this.signal.aborted) return this.abortedAs();
    if (guard?.cancelRequested) return 'cancelled';
    if (this.settings.stopSignal?.aborted) return 'stopped';
    if (this.settings.handoffSignal?.aborted) return 'handoff';
    return null;
  }

  /**
   * What an abort of the run means: a lost claim throws; a halted map item stops unrecorded (so
   * does an item of a map whose run timed out); a run timeout; otherwise a cancel.
   */
  abortedAs(): 'cancelled' | 'stopped' | 'timeout' {
    const reason: unknown = this.signal.reason;
    if (reason instanceof LeaseLostError) throw reason;
    if (reason instanceof RunTimeoutError) return reason === this.ownTimeout ? 'timeout' : 'stopped';
    return reason instanceof RunHaltedError ? 'stopped' : 'cancelled';
  }
}
