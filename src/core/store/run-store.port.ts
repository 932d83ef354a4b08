import type { RunFilter, RunOutcome, RunProgress, RunRecord, StepRecord } from './run-record';

/** What a new run is created with. */
export type NewRun = Omit<RunRecord, keyof RunProgress | 'finishedAt' | 'durationMs' | 'errorStep' | 'error' | 'errorCategory'>;

/** What `createRun` did: created the run, or found an earlier run with the same idempotency key. */
export type CreateRunOutcome = { readonly created: true } | { readonly created: false; readonly run: RunRecord };

/**
 * Port: where runs and their steps are recorded. The in-memory store is the default; durable
 * stores implement the same contract (each `recordStep` commits the step row and the run's
 * progress together).
 */
export interface RunStore {
  /** Creates the run; when its idempotency key was used before, creates nothing and returns that run. */
  createRun(run: NewRun): Promise<CreateRunOutcome>;
  /**
   * Records one step execution and the run's new progress, atomically. May complete synchronously
   * (the hot path skips a promise then). `progress` is only valid during the call: copy what you keep.
   */
  recordStep(step: StepRecord, progress: RunProgress): Promise<void> | void;
  /**
   * Optional: why a successful step's output or context updates cannot be stored (null when they
   * can). Stores that serialise implement it, so such a step fails cleanly (category VALIDATION)
   * and the run stays resumable, instead of the write failing.
   */
  checkStorable?(step: string, output: unknown, contextUpdates: unknown): string | null;
  /** Marks a failed, stopped or interrupted run as running again, with the params it resumes with. */
  reopenRun(runId: string, params: Readonly<Record<string, unknown>>): Promise<void>;
  /** Records how the run ended. */
  finishRun(runId: string, outcome: RunOutcome): Promise<void>;
  getRun(runId: string): Promise<RunRecord | null>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /** Every recorded step execution of a run, in the order they were recorded. */
  getRunSteps(runId: string): Promise<StepRecord[]>;
}
