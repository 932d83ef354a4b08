import type { RunEvent } from '../../runner/run-event';
import type { Fence, Fenced, LostExecutions, MapItemRecord, RunCounters, RunOutcome, RunProgress, RunRecord, StepCommit, StepRecord } from '../records/run-record';
import type { CreateRunOutcome, NewRun, RunMove } from '../records/store-writes';

/** Port: where one run is written and read back while it executes: the run row, its step rows, progress, events and map items. Every write of an execution carries its `Fence` and is refused with a `LeaseLostError` (writing nothing) once the fenced run's epoch moved on — or, for a queue run, once its lease lapsed. Map items' writes carry their top-level run's fence. */
export interface RunJournal {
  /** Creates the run; when its idempotency key was used before, creates nothing and returns that run. */
  createRun(run: NewRun): Promise<CreateRunOutcome>;
  /**
   * Records one step execution under `progress.fence` — with the run's counters when
   * `progress.countersDue` (a store may write them every time) and the context snapshot when
   * `progress.snapshot` is set, atomically. May complete synchronously (the hot path skips a
   * promise then). `progress` is only valid during the call: copy what you keep. Reports a pending
   * cancellation request of the fenced run (read in the same statement); a stale fence writes
   * nothing and throws `LeaseLostError`.
   */
  recordStep(step: StepRecord, progress: RunProgress): StepCommit | Promise<StepCommit>;
  /**
   * Writes a running run's counters (and cursor) under `progress.fence` (ignored when
   * stale): the counters a step commit held back (see `RunProgress.countersDue`) follow within
   * ~250 ms, so a run busy in a long step shows where it is.
   */
  recordProgress(runId: string, progress: RunCounters & Fenced): Promise<void>;
  /**
   * Why a step's output or context updates cannot be stored (null when they can).
   * Stores that serialise implement it, so such a step fails cleanly (category VALIDATION) and
   * the run stays resumable, instead of the write failing.
   */
  checkStorable(step: string, output: unknown, contextUpdates: unknown): string | null;
  /**
   * Marks a claimed run (or a map item being resumed) as running again, with the params it
   * resumes with and how often its execution was lost in a row; under `fence`.
   */
  reopenRun(runId: string, params: Readonly<Record<string, unknown>>, fence: Fence | null, lost: LostExecutions): Promise<void>;
  /**
   * Notes on a running run why its execution stopped without finishing (the store
   * refused a write), under `fence`; best effort. A run that keeps being lost names that cause.
   */
  recordInterruption(runId: string, fence: Fence | null, step: string | null, error: string): Promise<void>;
  /** Records how the run ended and releases its lease, under `outcome.fence` (`LeaseLostError` when stale). */
  finishRun(runId: string, outcome: RunOutcome, events?: readonly RunEvent[]): Promise<void>;
  /** Keeps a run's events under `fence` (a durable store writes them to its events table). Called in batches. */
  recordEvents(events: readonly RunEvent[], fence: Fence | null): Promise<void> | void;
  /**
   * Records a map item's outcome as one row under `fence` (its
   * top-level run's claim); an item recorded before (it failed, and ran again) is replaced.
   * Items finishing in the same tick may share a transaction; a stale fence throws `LeaseLostError`.
   * May complete (or throw) synchronously, as `recordStep` may: the in-memory store keeps the row at once.
   */
  recordMapItem(item: MapItemRecord, fence: Fence | null): void | Promise<void>;
  getRun(runId: string): Promise<RunRecord | null>;
  /** Every recorded step execution of a run, in the order they were recorded. */
  getRunSteps(runId: string): Promise<StepRecord[]>;
  /** The recorded items of a run's maps run in place — of one step's execution when `step` and `iteration` are given — by step, iteration and index. */
  listMapItems(runId: string, step?: string, iteration?: number): Promise<MapItemRecord[]>;
  /**
   * Moves an unfinished run to another definition of its workflow (version, hash, step count) and
   * renames its step rows and map items, in one transaction; only while the run is on
   * `move.fromHash` and (see `RunMove.fence`) under its claim or held by nobody. Returns the run
   * as it now is, or null when it was not moved (finished, moved already, or held).
   */
  moveRun(runId: string, move: RunMove, now: Date): Promise<RunRecord | null>;
}
