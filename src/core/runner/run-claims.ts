import { SpineError } from '../errors/spine-error';
import { ErrorCategory } from '../policy/error-category';
import type { Fence, RunOutcome, RunRecord } from '../store/run-record';
import type { RunStore } from '../store/run-store.port';
import type { RunExecution } from './run-execution';

/**
 * The runs a runner is executing now, by run id: one execution per run in a process. A run is
 * reserved before it is claimed, so a second `resume` of it here is refused at once, and
 * recovery passes it over even when its lease looks expired in the store (a paused process).
 */
export class ActiveRuns {
  private readonly runs = new Map<string, RunExecution | null>();

  /** Reserves `runId` for one execution here; throws when this runner already executes it. */
  reserve(runId: string, workflow: string): void {
    if (!this.runs.has(runId)) {
      this.runs.set(runId, null);
      return;
    }
    const epoch = this.runs.get(runId)?.epoch;
    throw new SpineError(
      'run-in-progress',
      `Run "${runId}" of workflow "${workflow}" is already being executed by this process${epoch ? ` (epoch ${epoch})` : ''}; ` +
        'await the result of that execution, or cancel it (spine.cancel(runId)). One process never executes a run twice at once.',
    );
  }

  /** The execution of a reserved run, once it is made. */
  attach(runId: string, execution: RunExecution): void {
    this.runs.set(runId, execution);
  }

  release(runId: string): void {
    this.runs.delete(runId);
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  get(runId: string): RunExecution | null {
    return this.runs.get(runId) ?? null;
  }

  /** How many runs are reserved or executing. */
  get size(): number {
    return this.runs.size;
  }
}

/**
 * Ends a run this runner claimed without running a step: cancelled (someone asked while nobody
 * ran it) or failed (its records cannot be read). Written under the claim's fence.
 */
export async function finishClaimed(
  store: RunStore,
  run: RunRecord,
  fence: Fence,
  now: number,
  end: { readonly status: 'cancelled' } | { readonly status: 'failed'; readonly error: string },
): Promise<RunRecord> {
  const outcome: RunOutcome = {
    status: end.status,
    executedSteps: run.executedSteps,
    completedSteps: run.completedSteps,
    failedSteps: run.failedSteps,
    skippedSteps: run.skippedSteps,
    lastCompletedStep: run.lastCompletedStep,
    fence,
    finishedAt: new Date(now),
    durationMs: run.durationMs ?? Math.max(0, now - run.startedAt.getTime()),
    errorStep: end.status === 'failed' ? null : run.errorStep,
    error: end.status === 'failed' ? end.error : run.error,
    errorCategory: end.status === 'failed' ? ErrorCategory.INTERNAL : run.errorCategory,
  };
  await store.finishRun(run.runId, outcome);
  return (await store.getRun(run.runId)) ?? run;
}

/** The sentence for a run whose stored record cannot be read whole. */
export function corruptRunMessage(run: RunRecord, detail: string): string {
  return `Run "${run.runId}" of workflow "${run.workflowName}" cannot be resumed: ${detail}. The run is marked failed; repair the row or start a new run.`;
}
