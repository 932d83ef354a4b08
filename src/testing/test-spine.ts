import { setImmediate as nextTurn } from 'node:timers/promises';
import { SpineError } from '../core/errors/spine-error';
import { DEFAULT_QUEUE } from '../core/store/records/queue-record';
import { Spine } from '../spine/spine';
import type { SpineOptions } from '../spine/spine.options';
import { FakeClock } from './fake-clock';

/** What `createTestSpine` builds a Spine from: its workflows and the time it starts at. */
export interface TestSpineOptions extends Pick<SpineOptions, 'schedules' | 'queues' | 'container' | 'pipelines' | 'handlers' | 'calendars' | 'onEvent' | 'logger'> {
  readonly workflows: NonNullable<SpineOptions['workflows']>;
  /** The fake time the environment starts at. */
  readonly start: Date | number;
}

/** A Spine on an in-memory store whose time moves only when the test says so. */
export interface TestSpine {
  /** The Spine: in-memory store, a worker serving every queue, and the scheduler, all on `clock`. */
  readonly spine: Spine;
  /** The fake time: `clock.now()` in epoch milliseconds. */
  readonly clock: FakeClock;
  /**
   * Moves time forward by `duration` (milliseconds, or '500ms', '90s', '15m', '3h', '2d', '1w'):
   * stops at every timer, wake-up time, due run and schedule fire on the way, in order, and lets
   * everything due then run; resolves once everything due by the new time has run and the worker
   * is idle. Waits, retries' back-offs, signal timeouts, leases and schedules follow.
   */
  advance(duration: number | string): Promise<void>;
  /** Closes the Spine (its worker and scheduler). */
  close(): Promise<void>;
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const HOUR_MS = 3_600_000;
/** How long `advance` lets in-process work that awaits something real (not the fake clock) take before it says so. */
const SETTLE_LIMIT_MS = 10_000;

/** Milliseconds from a number or a '90s' / '3h' / '2d' string; a clear error names anything else. */
export function durationMs(duration: number | string, where = 'advance'): number {
  if (typeof duration === 'number') {
    if (Number.isFinite(duration) && duration >= 0) return duration;
  } else if (typeof duration === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(duration);
    if (match !== null) return Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  throw new SpineError('invalid-argument', `${where}: ${JSON.stringify(duration)} is not a duration; give milliseconds ≥ 0 or a number with a unit: '500ms', '90s', '15m', '3h', '2d', '1w'.`);
}

/**
 * A time-skipping test environment (Temporal's TestWorkflowEnvironment, for spine): a Spine on an
 * in-memory store with a worker and the scheduler on a fake clock. A 3-day wait, a day's signal
 * timeout, an hour's retry back-off or a weekly schedule take `await env.advance('3d')` and well
 * under a second of real time.
 *
 * ```ts
 * const env = await createTestSpine({ workflows: [WeeklyRefresh], start: new Date('2026-01-05T00:00:00Z') });
 * const { runId } = await env.spine.enqueue('weekly.refresh');
 * await env.advance('3d');
 * expect((await env.spine.getRun(runId))?.status).toBe('completed');
 * await env.close();
 * ```
 *
 * Runs started in this process (`spine.start`) wait on the fake clock too; `spine.run` of a
 * workflow that waits would wait for an `advance` that cannot come while it is awaited: start it,
 * then advance, then await its result.
 */
export async function createTestSpine(options: TestSpineOptions): Promise<TestSpine> {
  if (options === null || typeof options !== 'object' || !Array.isArray(options.workflows)) {
    throw new SpineError('invalid-argument', 'createTestSpine: give { workflows: [...], start: Date }.');
  }
  const start = options.start instanceof Date ? options.start.getTime() : options.start;
  if (typeof start !== 'number' || !Number.isFinite(start)) {
    throw new SpineError('invalid-argument', `createTestSpine: start must be a Date or epoch milliseconds (got ${String(options.start)}).`);
  }
  const clock = new FakeClock({ start, autoAdvance: false });
  let events = 0;
  const onEvent = options.onEvent;
  const spine = await Spine.create({
    ...options,
    database: 'memory',
    clock,
    // leases renewed hourly on the fake clock: a 3-day wait is 72 renewals, not 26,000
    lease: { durationMs: 6 * HOUR_MS, heartbeatMs: HOUR_MS },
    // one process: a signal sent here wakes its run at once, nothing needs polling
    signalPollMs: 7 * 24 * HOUR_MS,
    recoverOnStart: false,
    worker: false,
    onEvent: (event) => {
      events++;
      onEvent?.(event);
    },
  });
  const worker = spine.startWorker({
    queues: servedQueues(spine, options),
    concurrency: 16,
    // the environment wakes the worker at every due time: it never needs to poll
    pollIntervalMs: 7 * 24 * HOUR_MS,
    parkAfterMs: 0,
    scheduler: { maxSleepMs: 7 * 24 * HOUR_MS },
  });
  let closed = false;
  let advancing = false;

  /** Lets everything runnable now run: returns once the worker is idle and every run here waits on the fake clock. */
  async function settle(): Promise<void> {
    const deadline = Date.now() + SETTLE_LIMIT_MS;
    let quiet = 0;
    let last = '';
    while (quiet < 3) {
      await nextTurn();
      const busy = spine.activeRuns - clock.sleepers;
      const seen = `${events}:${clock.pending}:${worker.claimCount}:${spine.activeRuns}`;
      quiet = busy <= 0 && worker.isIdle && seen === last ? quiet + 1 : 0;
      last = seen;
      if (quiet === 0 && Date.now() > deadline) {
        throw new SpineError(
          'invalid-argument',
          `advance: ${spine.activeRuns} run(s) still busy after ${SETTLE_LIMIT_MS / 1000} s of real time at ${new Date(clock.now()).toISOString()}; ` +
            'a step awaits something real (a timer, I/O) instead of the fake clock. Stub it, or keep real waits out of tests that skip time.',
        );
      }
    }
  }

  /** The next time a queued run becomes due or a parked run wakes (after now), or null. */
  async function nextDueRun(): Promise<number | null> {
    const now = clock.now();
    let next: number | null = null;
    for (const run of await spine.listRuns({ status: ['queued', 'waiting'], includeChildren: true })) {
      const due = run.leaseOwner === null ? (run.leaseExpiresAt?.getTime() ?? null) : null;
      if (due !== null && due > now && (next === null || due < next)) next = due;
    }
    return next;
  }

  return {
    spine,
    clock,
    async advance(duration: number | string): Promise<void> {
      if (closed) throw new SpineError('invalid-argument', 'advance: this test environment is closed.');
      if (advancing) throw new SpineError('invalid-argument', 'advance: another advance is under way; await it first.');
      const target = clock.now() + durationMs(duration);
      advancing = true;
      try {
        worker.notify();
        await settle();
        for (;;) {
          const timer = clock.nextTimerAt;
          const run = await nextDueRun();
          const next = timer === null ? run : run === null ? timer : Math.min(timer, run);
          if (next === null || next > target) break;
          clock.advance(Math.max(0, next - clock.now()));
          worker.notify();
          await settle();
        }
        clock.advance(target - clock.now());
        worker.notify();
        await settle();
      } finally {
        advancing = false;
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await spine.close({ timeoutMs: 1_000 });
    },
  };
}

/** Every queue a run of this Spine may land on: the default, the declared ones, the workflows' own and their distributed maps'. */
function servedQueues(spine: Spine, options: TestSpineOptions): string[] {
  const queues = new Set<string>([DEFAULT_QUEUE, ...Object.keys(options.queues ?? {})]);
  for (const workflow of spine.workflows()) {
    if (workflow.queue !== null && workflow.queue !== undefined) queues.add(workflow.queue);
    for (const step of workflow.steps) if (step.type === 'map' && typeof step.distribute === 'string') queues.add(step.distribute);
  }
  return [...queues];
}
