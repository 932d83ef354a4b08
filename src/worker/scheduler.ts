import { SpineError } from '../core/errors/spine-error';
import { dueFires, type ScheduleDefinition, type ScheduleState } from '../core/schedule/schedule';
import type { TriggerSource } from '../core/schedule/trigger';
import type { FireOutcome } from '../core/store/records/store-writes';
import type { ScheduleStore } from '../core/store/ports/schedule-store.port';
import type { Clock } from '../core/clock/clock.port';
import type { SpineLogger } from '../core/logging/logger.port';

/** Records one fire of a schedule with its queued run (see `Spine`): the scheduler's way to fire. */
export type FireSchedule = (schedule: ScheduleDefinition, fireTime: Date, source: TriggerSource, scheduled: boolean) => Promise<FireOutcome>;

/** Where workers and their schedulers log. */
export type WorkerLogger = SpineLogger;

/** How a scheduler runs. */
export interface SchedulerOptions {
  /**
   * The time schedules are read at (tests pass an accelerated or fake one, believed as it is).
   * Default: the database's clock (`ScheduleStore.databaseTime`), so every process decides on the same
   * time whatever its own clock says (the in-memory store's is the Spine's clock).
   */
  readonly now?: () => number;
  /** Longest sleep between passes (default 30 s): pauses, resumes and cursor moves by other processes are seen then at the latest. */
  readonly maxSleepMs?: number;
}

/**
 * Fires a worker's schedules: each pass reads every schedule's state (paused, cursor) from the
 * store, works out the fires due since its cursor under its catch-up policy and calendar, and
 * records each (fire row + queued run in one transaction: of several workers firing the same
 * time, one does); then sleeps until the next fire time. Every worker may run one: the store keeps
 * them from firing a time twice.
 */
export class Scheduler {
  private readonly now: () => number;
  private readonly maxSleepMs: number;
  private stopping = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  /** Skips already reported, per schedule (one warning per missed span, not one per pass or process restart of this one). */
  private readonly reported = new Map<string, number>();
  private passes = 0;

  constructor(
    private readonly store: ScheduleStore,
    private readonly schedules: readonly ScheduleDefinition[],
    private readonly fire: FireSchedule,
    private readonly logger: WorkerLogger,
    options: SchedulerOptions,
    /** What it sleeps on (the Spine's clock; a fake one in tests moves it). */
    private readonly clock: Clock,
  ) {
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new SpineError('invalid-argument', `worker.scheduler.now must be a function returning epoch milliseconds (got ${typeof options.now}).`);
    }
    const maxSleepMs = options.maxSleepMs ?? 30_000;
    if (!(typeof maxSleepMs === 'number' && maxSleepMs >= 1 && Number.isFinite(maxSleepMs))) {
      throw new SpineError('invalid-argument', `worker.scheduler.maxSleepMs must be a number ≥ 1 (got ${String(options.maxSleepMs)}).`);
    }
    this.now = options.now ?? (() => clock.now());
    this.ownClock = options.now !== undefined;
    this.maxSleepMs = maxSleepMs;
  }

  /** True when the caller gave the time source (tests); else the database's clock decides. */
  private readonly ownClock: boolean;

  /** The time a pass decides by: the given clock, else the store's (the database's; the in-memory store's clock). */
  private async passTime(): Promise<number> {
    if (this.ownClock) return this.now();
    return (await this.store.databaseTime()).getTime();
  }

  /** Passes made so far. */
  get passCount(): number {
    return this.passes;
  }

  start(): void {
    if (this.loop !== null || this.stopping || this.schedules.length === 0) return;
    this.loop = this.run();
  }

  /** Makes a pass now (a schedule was resumed or changed here). */
  notify(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let sleepMs: number;
      try {
        sleepMs = await this.pass();
        failures = 0;
      } catch (error) {
        failures++;
        sleepMs = Math.min(this.maxSleepMs, 500 * 2 ** Math.min(failures, 6));
        const why = error instanceof Error ? error.message : String(error);
        this.logger.warn({ error: why }, `scheduler: a pass failed (${why}); trying again in ${sleepMs} ms.`);
      }
      if (this.stopping) break;
      await this.idle(sleepMs);
    }
  }

  /** One pass over every schedule; returns how long to sleep until the next fire. */
  async pass(): Promise<number> {
    this.passes++;
    const now = new Date(await this.passTime());
    const startedAt = performance.now();
    const states = new Map<string, ScheduleState>((await this.store.listScheduleStates()).map((s) => [s.name, s]));
    let nextAt = now.getTime() + this.maxSleepMs;
    for (const schedule of this.schedules) {
      if (this.stopping) break;
      const state = states.get(schedule.name);
      if (state === undefined || state.paused) continue;
      const due = dueFires(schedule, state.cursor ?? now, now);
      if (due.skipped !== null && this.reported.get(schedule.name) !== due.skipped.before.getTime()) {
        this.reported.set(schedule.name, due.skipped.before.getTime());
        this.logger.warn(
          { schedule: schedule.name, workflow: schedule.workflow },
          `schedule "${schedule.name}": fires missed between ${due.skipped.after.toISOString()} and ${due.skipped.before.toISOString()} ` +
            `were skipped (catchUp '${schedule.catchUp}'); \`npx spine backfill ${schedule.name} --from … --to …\` fires them.`,
        );
      }
      let last: Date | null = null;
      for (const fireTime of due.fires) {
        const outcome = await this.fire(schedule, fireTime, 'schedule', true);
        if (!outcome.fired && outcome.reason === 'paused') break;
        last = fireTime;
      }
      if (due.cursor !== null && (last === null || due.cursor > last)) await this.store.moveScheduleCursor(schedule.name, due.cursor);
      const next = schedule.times.next(now);
      if (next !== null) nextAt = Math.min(nextAt, next.getTime());
    }
    // how long until the next fire by the pass's clock: the time since the pass began is this process's to measure
    return Math.max(0, nextAt - (now.getTime() + (this.ownClock ? this.now() - now.getTime() : performance.now() - startedAt)));
  }

  private idle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        cancel();
        this.wake = null;
        resolve();
      };
      const cancel = this.clock.setTimer(ms, done);
      this.wake = done;
    });
  }
}
