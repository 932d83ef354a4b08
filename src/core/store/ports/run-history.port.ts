import type { HeldDefinitions, UnheldRun } from '../records/held-definitions';
import type { CheckpointRecord, CheckpointSnapshot, PurgeCriteria, QualityPoint, QualityStepSummary, RunCount, RunFilter, RunRecord, StoredRunEvent } from '../records/run-record';

/** Port: what runs did, read after the fact: lists, counts, quality, events and checkpoints; and the purge of finished runs. */
export interface RunHistory {
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /** The run's checkpoints (one per completed step: its step row), in order. */
  listCheckpoints(runId: string): Promise<CheckpointRecord[]>;
  /**
   * The checkpoint of the latest completed execution of `step` in the run, with the
   * run's context right after it (a kept snapshot, else rebuilt from the step rows up to it);
   * null when the step never completed in the run.
   */
  getCheckpoint(runId: string, step: string): Promise<CheckpointSnapshot | null>;
  /** Deletes the context snapshots kept for a run (not its step rows); returns how many went. */
  deleteCheckpoints(runId: string): Promise<number>;
  /** Quality metrics a workflow's step recorded in runs started since `since`, oldest first (completed and failed executions). */
  qualityTrend(workflow: string, step: string, since: Date): Promise<QualityPoint[]>;
  /** For a console\'s workflow page: top-level runs started since `since`, counted by workflow and status. */
  countRuns(since: Date): Promise<RunCount[]>;
  /** For a console\'s quality page: the workflow steps that recorded quality metrics in runs started since `since`. */
  listQualitySteps(since: Date): Promise<QualityStepSummary[]>;
  /** The run's stored events, oldest first, at most `limit`. */
  listRunEvents(runId: string, limit: number): Promise<StoredRunEvent[]>;
  /** Deletes finished top-level runs per the criteria, each with its map items' runs; returns how many top-level runs went. */
  purge(criteria: PurgeCriteria): Promise<number>;
  /**
   * Runs that still need a process (queued, parked, or running without a live lease; map items
   * included) started on a definition `held` does not cover, oldest first, at most `limit`; each
   * with the last time a process was known to hold its definition (`DefinitionStore.markHeld`).
   */
  listUnheldRuns(held: HeldDefinitions, now: Date, limit: number): Promise<UnheldRun[]>;
}
