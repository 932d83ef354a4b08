import { SpineError } from '../core/errors/spine-error';
import type { RunEvent } from '../core/runner/run-event';
import type { RunRecord, RunStatus, StepRecord, StoredRunEvent } from '../core/store/records/run-record';

/** Options of `spine.watch`. */
export interface WatchOptions {
  /** How often the run's rows are read while nothing wakes the watch (default 250 ms; a run's end wakes it at once). */
  readonly pollIntervalMs?: number;
  /** Ends the watch (as the loop's `break` does). */
  readonly signal?: AbortSignal;
}

/** What the watch reads: a run, its step rows and its stored events; and how it waits for a change. */
export interface WatchSource {
  getRun(runId: string): Promise<RunRecord | null>;
  getRunSteps(runId: string): Promise<StepRecord[]>;
  listRunEvents(runId: string, limit: number): Promise<StoredRunEvent[]>;
  /** Resolves after `ms`, or sooner when the run is reported finished. */
  finishedOrAfter(runId: string, ms: number): Promise<void>;
}

const ENDED: readonly RunStatus[] = ['completed', 'partial', 'failed', 'cancelled', 'stopped'];
const MAX_EVENTS = 100_000;
const TOLD_OTHERWISE: ReadonlySet<string> = new Set(['run_started', 'signal_waiting']);

/**
 * A run's progress as events, in the order they are written, from whatever process executes it:
 * its start (`run_started`, from its record), each step row as it is written (`step_completed`,
 * `step_failed`, `step_retried`, `step_skipped`, and `signal_waiting` when a step begins waiting
 * for a signal or an approval), and each event the run stores (`run_parked`, `run_resumed`,
 * `params_overridden`, `quality_degraded`, …, saved with the run's later writes, up to its
 * `run_completed` / `run_failed` / `run_cancelled` / `run_stopped`); the iteration ends once the
 * run has ended and every event before its end was given. A run that is already over gives its
 * whole history and ends. Reads the store (every `pollIntervalMs`, and at once when the run's end
 * is reported: PostgreSQL's wake-ups across processes, any store's within one).
 */
export async function* watchRun(source: WatchSource, runId: string, options: WatchOptions = {}): AsyncGenerator<RunEvent, void, undefined> {
  const interval = options.pollIntervalMs ?? 250;
  if (!(Number.isFinite(interval) && interval > 0)) throw new SpineError('invalid-argument', `watch: pollIntervalMs must be a number of milliseconds > 0 (got ${String(options.pollIntervalMs)}).`);
  const aborted = (): boolean => options.signal?.aborted === true;
  let rowsSeen = 0;
  let startTold = false;
  let lastEventId = 0;
  for (;;) {
    if (aborted()) return;
    const run = await source.getRun(runId);
    if (run === null) throw new SpineError('unknown-run', `Run "${runId}" was not found (purged, or never recorded); nothing to watch.`);
    // the rows and events written up to the run's state just read (read after it: nothing before its end is missed)
    const [rows, stored] = await Promise.all([source.getRunSteps(runId), source.listRunEvents(runId, MAX_EVENTS)]);
    const fresh: RunEvent[] = [];
    // the run's start, from its record at once (the stored run_started is saved with later writes)
    if (!startTold) {
      fresh.push({ type: 'run_started', runId: run.runId, traceId: run.traceId, workflow: run.workflowName, timestamp: run.startedAt.getTime(), ...(run.queue !== null && { queue: run.queue }) });
      startTold = true;
    }
    for (const row of rows.slice(rowsSeen)) {
      const event = fromStepRow(run, row);
      if (event !== null) fresh.push(event);
    }
    rowsSeen = Math.max(rowsSeen, rows.length);
    for (const event of stored) {
      if (event.id <= lastEventId) continue;
      lastEventId = event.id;
      // told already: the start from the run's record, a signal wait from its step row (written when the wait began)
      if (!TOLD_OTHERWISE.has(event.type)) fresh.push(fromStored(run, event));
    }
    fresh.sort((a, b) => a.timestamp - b.timestamp);
    for (const event of fresh) {
      if (aborted()) return;
      yield event;
    }
    if (ENDED.includes(run.status)) return;
    await waitOrAbort(source.finishedOrAfter(runId, interval), options.signal);
  }
}

function waitOrAbort(wait: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return wait;
  return new Promise<void>((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void wait.then(done);
  });
}

/** A stored event as the run's listeners had it. */
function fromStored(run: RunRecord, event: StoredRunEvent): RunEvent {
  return {
    ...event.payload,
    type: event.type,
    runId: run.runId,
    traceId: run.traceId,
    workflow: run.workflowName,
    timestamp: event.at.getTime(),
    ...(event.step !== null && { step: event.step }),
    ...(event.attempt !== null && { attempt: event.attempt }),
  } as RunEvent;
}

/** What a step row tells: its execution's end (null for a row that only records a wait: its events are stored). */
function fromStepRow(run: RunRecord, row: StepRecord): RunEvent | null {
  const common = {
    runId: run.runId,
    traceId: run.traceId,
    workflow: run.workflowName,
    timestamp: row.finishedAt.getTime(),
    step: row.stepName,
    attempt: row.attempt,
    iteration: row.iteration,
    durationMs: row.durationMs,
  };
  const failure = { error: row.error ?? '', errorCategory: row.errorCategory ?? 'INTERNAL' };
  switch (row.status) {
    case 'completed':
      return { ...common, type: 'step_completed' } as RunEvent;
    case 'failed':
      return { ...common, type: 'step_failed', ...failure } as RunEvent;
    case 'retried':
      return { ...common, type: 'step_retried', ...failure, delayMs: 0 } as RunEvent;
    case 'skipped':
      return { ...common, type: 'step_skipped', reason: row.error ?? '' } as RunEvent;
    case 'waiting': {
      // a wait for a signal (an approval gate's too); a timer's wait is told by the run's parking, if it parks
      const signal = row.output?.signal;
      if (typeof signal !== 'string') return null;
      const until = row.output?.wakeAt;
      return { ...common, timestamp: row.startedAt.getTime(), type: 'signal_waiting', signal, ...(typeof until === 'string' && { until }) } as RunEvent;
    }
    default:
      return null;
  }
}
