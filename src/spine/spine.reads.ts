import type { Clock } from '../core/clock/clock.port';
import { SpineError } from '../core/errors/spine-error';
import type { WorkflowRunner } from '../core/runner/workflow-runner';
import type { SpineStore } from '../core/store/ports/spine-store';
import type { QueueStats, WorkerRecord } from '../core/store/records/queue-record';
import type {
  CheckpointRecord,
  CheckpointSnapshot,
  MapItemRecord,
  QualityPoint,
  QualityStepSummary,
  RunCount,
  RunFilter,
  RunRecord,
  StepRecord,
  StoredDefinition,
  StoredRunEvent,
} from '../core/store/records/run-record';
import type { SignalRecord } from '../core/store/records/signal-record';
import { assertRunFilter } from '../core/store/run-filter.check';
import { approvalSignal } from '../core/runner/signal-wait';

/**
 * What a Spine reads back from its store (and its one write of history, the purge): runs, steps,
 * checkpoints, map items, events, quality, signals, queues and workers. The console, the CLI and
 * the Nest service read through these, never through a store port.
 */
export abstract class SpineReads {
  protected constructor(
    readonly runner: WorkflowRunner,
    readonly store: SpineStore,
  ) {}

  /** True when runs outlive this process (a database, not memory). */
  get durable(): boolean {
    return this.store.durable;
  }

  /** The clock this Spine's runs, leases, queues and schedules go by (`Spine.create({ clock })`). */
  get clock(): Clock {
    return this.runner.clock;
  }

  /** One recorded run, or null. */
  getRun(runId: string): Promise<RunRecord | null> {
    return this.store.journal.getRun(runId);
  }

  /** Recorded runs, newest first. */
  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    assertRunFilter(filter);
    return this.store.history.listRuns(filter);
  }

  /** Every recorded step execution of a run. */
  getRunSteps(runId: string): Promise<StepRecord[]> {
    return this.store.journal.getRunSteps(runId);
  }

  /** The run's checkpoints (one per completed step; `hasContext` where a context snapshot was kept), in order. */
  listCheckpoints(runId: string): Promise<CheckpointRecord[]> {
    return this.store.history.listCheckpoints(runId);
  }

  /** The items of the run's maps run in place (one row each), by step, iteration and index; map items run as runs of their own are `listRuns({ parentRunId })`. */
  async listMapItems(runId: string): Promise<MapItemRecord[]> {
    return this.store.journal.listMapItems(runId);
  }

  /**
   * The checkpoint of the latest completed execution of `step`, with the run's context right
   * after it: the snapshot kept there (checkpoint strategy: `checkpointEvery` on the workflow,
   * `checkpoint: true` on the step; `hasContext`), else rebuilt from the run's params and step
   * rows. Null when the step never completed in the run. `WorkflowContext.fromJSON(snapshot.context)`
   * rebuilds the context; `execute(workflow, { context, startFrom })` starts a run from it.
   */
  async getCheckpoint(runId: string, step: string): Promise<CheckpointSnapshot | null> {
    return this.runner.getCheckpoint(runId, step);
  }

  /** The declarative definitions stored in the database (active versions), by name. */
  async listStoredDefinitions(): Promise<StoredDefinition[]> {
    return this.store.definitions.listStoredDefinitions();
  }

  /**
   * Deletes the context snapshots kept for a run; returns how many went. Its step rows stay (its
   * history, and where a resume continues); `purge` removes whole finished runs.
   */
  deleteCheckpoints(runId: string): Promise<number> {
    return this.runner.deleteCheckpoints(runId);
  }

  /** Quality metrics of a workflow's step over the last `days` days (or since a time), oldest first. */
  qualityTrend(workflow: string, step: string, days: number | { readonly since: Date } = 30): Promise<QualityPoint[]> {
    const since = typeof days === 'number' ? new Date(this.clock.now() - days * 86_400_000) : days.since;
    return this.store.history.qualityTrend(workflow, step, since);
  }

  /** Top-level runs started since `since`, counted by workflow and status. */
  countRuns(since: Date): Promise<RunCount[]> {
    return this.store.history.countRuns(since);
  }

  /** The workflow steps that recorded quality metrics in runs started since `since`. */
  listQualitySteps(since: Date): Promise<QualityStepSummary[]> {
    return this.store.history.listQualitySteps(since);
  }

  /** The events kept for a run (not those its step rows tell), oldest first, at most `limit`. */
  listRunEvents(runId: string, limit = 500): Promise<StoredRunEvent[]> {
    return this.store.history.listRunEvents(runId, limit);
  }

  /**
   * Retention: deletes finished runs (completed, cancelled and — unless `keepFailed` — failed)
   * older than `olderThanDays`, with their steps, checkpoints and events. Returns how many went.
   */
  async purge(options: { readonly olderThanDays: number; readonly keepFailed?: boolean }): Promise<number> {
    if (!(Number.isFinite(options.olderThanDays) && options.olderThanDays >= 0)) {
      throw new SpineError('invalid-argument', `spine.purge: olderThanDays must be a number ≥ 0 (got ${String(options.olderThanDays)}).`);
    }
    return this.store.history.purge({ before: new Date(this.clock.now() - options.olderThanDays * 86_400_000), keepFailed: options.keepFailed ?? false });
  }

  /** The signals sent to a run, oldest first, each with the step execution that consumed it. */
  listSignals(runId: string): Promise<SignalRecord[]> {
    return this.store.signals?.listSignals(runId) ?? Promise.resolve([]);
  }

  /**
   * The steps of a run whose breached 'approve' quality gate waits for a decision nobody sent yet
   * (their latest row waits for its approval signal), in the run's order: what `approve` and
   * `reject` decide when no step is named.
   */
  async pendingApprovals(runId: string): Promise<string[]> {
    const latest = new Map<string, StepRecord>();
    for (const step of await this.getRunSteps(runId)) latest.set(step.stepName, step);
    const open = new Set((await this.listSignals(runId)).filter((s) => s.consumedBy === null).map((s) => s.name));
    return [...latest.values()].filter((s) => s.status === 'waiting' && s.output?.signal === approvalSignal(s.stepName) && !open.has(approvalSignal(s.stepName))).map((s) => s.stepName);
  }

  /** Per queue: queued (and due), running, waiting, the oldest queued run's enqueue time, and per concurrency key. */
  queueStats(): Promise<QueueStats[]> {
    return this.store.queue?.queueStats(new Date(this.runner.clock.now())) ?? Promise.resolve([]);
  }

  /** Worker processes registered on the store (their heartbeat rows), most recent first. */
  listWorkers(): Promise<WorkerRecord[]> {
    return this.store.queue?.listWorkers() ?? Promise.resolve([]);
  }
}
