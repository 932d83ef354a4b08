import type { Clock } from '../clock/clock.port';
import { LeaseLostError } from '../errors/spine-error';
import type { Fence } from '../store/records/run-record';
import type { RunLeases } from '../store/ports/run-leases.port';

/** Who owns the runs a runner executes, for how long a lease lasts, and how often it is renewed. */
export interface LeaseSettings {
  readonly owner: string;
  readonly durationMs: number;
  readonly heartbeatMs: number;
}

/** What the guard tells the execution it protects. */
export interface LeaseGuardListener {
  /** The claim is stale: another execution claimed the run. Stop at once. */
  lost(error: LeaseLostError): void;
  /** Someone asked to cancel the run. */
  cancelRequested(): void;
}

/**
 * Keeps one claim of a run alive and says when it is gone. A heartbeat renews the lease every
 * `heartbeatMs`; between renewals the guard knows, from its own clock, until when the lease is
 * surely still its own (the last renewal's send time plus the lease, less a margin). Before a
 * step or a map item starts, `ensureHeld` checks that: past it — a paused process, a starved
 * event loop, a database that did not answer — it renews first and refuses to go on when the run
 * was claimed meanwhile. Map items share their top-level run's guard.
 */
export class LeaseGuard {
  /** Set once the claim is known to be stale. */
  lost: LeaseLostError | null = null;
  cancelRequested = false;
  private validUntil: number;
  private lastRenewedAt: number;
  /** When the lease expires in the store (the last renewal's send time, or the claim's, plus the lease). */
  private expiresAt: number;
  private renewing: Promise<void> | null = null;
  private cancelTimer: (() => void) | null = null;
  private stopped = false;
  private readonly margin: number;

  constructor(
    readonly fence: Fence,
    private readonly store: RunLeases,
    private readonly clock: Clock,
    private readonly settings: LeaseSettings,
    private readonly listener: LeaseGuardListener,
    /** When the claim was taken (its lease runs from then). */
    claimedAt: number,
    /**
     * A queue run's lease: a renewal answered only after the lease had expired counts as lost —
     * it may have been applied after a worker's claim counted the lease as gone and gave its
     * slot in the queue's limits away (its store update was sent in time, then held up: a frozen
     * database, a long lock wait).
     */
    private readonly strictExpiry = false,
  ) {
    this.margin = Math.min(settings.durationMs / 5, 5_000);
    this.lastRenewedAt = claimedAt;
    this.validUntil = claimedAt + settings.durationMs - this.margin;
    this.expiresAt = claimedAt + settings.durationMs;
  }

  /** Starts the heartbeat. */
  start(): void {
    if (this.cancelTimer !== null || this.stopped) return;
    this.cancelTimer = this.clock.setTimer(this.settings.heartbeatMs, this.tick);
  }

  /** Stops the heartbeat (the run ended or hands itself off). */
  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /**
   * Resolves (synchronously when the lease is fresh) once the claim is known to be held; throws
   * `LeaseLostError` when it is not. Call before anything new starts.
   */
  ensureHeld(): void | Promise<void> {
    if (this.lost !== null) throw this.lost;
    if (this.clock.now() < this.validUntil) return;
    return this.renewUntilValid();
  }

  /**
   * Renews until a renewal vouches for now. A renewal that was already in flight may have been
   * sent before a pause (SIGSTOP, a starved loop): its answer holds the lease only until its send
   * time plus the lease, which can be long past — then another one is sent.
   */
  private async renewUntilValid(): Promise<void> {
    for (;;) {
      await this.renew();
      if (this.lost !== null) throw this.lost;
      if (this.clock.now() < this.validUntil) return;
    }
  }

  /** A write under this claim was refused: the claim is stale. */
  lose(error: LeaseLostError): LeaseLostError {
    if (this.lost === null) {
      const silentMs = Math.max(0, this.clock.now() - this.lastRenewedAt);
      this.lost = new LeaseLostError(error.runId, error.fence, error.holder, silentMs >= this.settings.durationMs ? silentMs : null);
      this.stop();
      this.listener.lost(this.lost);
    }
    return this.lost;
  }

  /** A write or renewal reported a cancellation request. */
  noteCancel(): void {
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    this.listener.cancelRequested();
  }

  private readonly tick = (): void => {
    this.cancelTimer = null;
    this.renew()
      .catch(() => undefined) // a failing store is reported by the next write or check
      .finally(() => {
        if (!this.stopped && this.lost === null) this.cancelTimer = this.clock.setTimer(this.settings.heartbeatMs, this.tick);
      });
  };

  /** One renewal at a time; a check during a heartbeat's renewal waits for that one. */
  private renew(): Promise<void> {
    if (this.renewing !== null) return this.renewing;
    const sentAt = this.clock.now();
    const { fence } = this;
    this.renewing = this.store
      .renewLease(fence.runId, fence, new Date(sentAt + this.settings.durationMs))
      .then((outcome) => {
        if (!outcome.held) {
          if (this.lost === null) this.lose(new LeaseLostError(fence.runId, fence, outcome.holder));
          return;
        }
        if (this.strictExpiry && this.clock.now() >= this.expiresAt) {
          // the lease may have lapsed before this renewal was applied: the run is left to expire and be claimed again
          if (this.lost === null) this.lose(new LeaseLostError(fence.runId, fence, { owner: fence.owner, epoch: fence.epoch, status: 'running' }));
          return;
        }
        this.lastRenewedAt = sentAt;
        this.expiresAt = Math.max(this.expiresAt, sentAt + this.settings.durationMs);
        this.validUntil = Math.max(this.validUntil, sentAt + this.settings.durationMs - this.margin);
        if (outcome.cancelRequested) this.noteCancel();
      })
      .finally(() => {
        this.renewing = null;
      });
    return this.renewing;
  }
}
