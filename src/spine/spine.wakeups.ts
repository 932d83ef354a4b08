import type { Wakeup, Wakeups } from '../core/store/ports/wakeups.port';

/** What a Spine does with a wake-up. */
export interface WakeupHandlers {
  /** Runs of a queue are due (null: of some queue): the worker claims now. */
  queue(): void;
  signal(runId: string): void;
  cancel(runId: string): void;
  /** Schedules were paused, resumed or registered: the scheduler looks now. */
  schedules(): void;
}

/**
 * A Spine's end of its store's wake-ups. Listening starts the first time something waits (a
 * worker, a scheduler, `waitForResult`, a run executing here), so a Spine that only reads never
 * opens PostgreSQL's listening connection. Every waiter keeps its poll: a lost wake-up costs time,
 * never a run.
 */
export class SpineWakeups {
  private unsubscribe: (() => void) | null = null;
  private readonly finished = new Map<string, Set<() => void>>();
  private closed = false;

  constructor(
    private readonly wakeups: Wakeups | null,
    private readonly handlers: WakeupHandlers,
  ) {}

  /** Starts listening (once). */
  listen(): void {
    if (this.unsubscribe !== null || this.wakeups === null || this.closed) return;
    this.unsubscribe = this.wakeups.subscribe((wakeup) => this.dispatch(wakeup));
  }

  /** True when other processes' writes wake this one at once (PostgreSQL). */
  get crossProcess(): boolean {
    return this.wakeups?.crossProcess === true;
  }

  /** Resolves after `ms`, or as soon as `runId` is reported finished. */
  finishedOrAfter(runId: string, ms: number): Promise<void> {
    this.listen();
    return new Promise<void>((resolve) => {
      let waiters = this.finished.get(runId);
      if (waiters === undefined) this.finished.set(runId, (waiters = new Set()));
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0) this.finished.delete(runId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });
  }

  private dispatch(wakeup: Wakeup): void {
    switch (wakeup.kind) {
      case 'queue':
        return this.handlers.queue();
      case 'signal':
        return this.handlers.signal(wakeup.runId);
      case 'cancel':
        return this.handlers.cancel(wakeup.runId);
      case 'schedules':
        return this.handlers.schedules();
      case 'finished':
        for (const done of [...(this.finished.get(wakeup.runId) ?? [])]) done();
    }
  }

  /** Stops listening and lets go of the store's listening connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const waiters of this.finished.values()) for (const done of [...waiters]) done();
    await this.wakeups?.close();
  }
}
