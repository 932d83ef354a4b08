import { SpineError } from '../errors/spine-error';
import { ErrorCategory } from '../policy/error-category';
import { WorkflowContext } from '../context/workflow-context';
import type { Fence, RunOutcome, RunRecord, StepRecord } from '../store/records/run-record';
import type { RunJournal } from '../store/ports/run-journal.port';

/**
 * The runs a runner is executing now, by run id: one execution per run in a process. A run is
 * reserved before it is claimed, so a second `resume` of it here is refused at once, and
 * recovery passes it over even when its lease looks expired in the store (a paused process).
 */
/** What the runner holds of an execution it runs here: enough to name its claim and to cancel it. */
export interface ActiveExecution {
  /** The claim's epoch (0 before the run is claimed). */
  readonly epoch: number;
  /** Stops the run at its next step boundary (its running step's signal is aborted now). */
  cancel(reason?: unknown): void;
}

export class ActiveRuns {
  private readonly runs = new Map<string, ActiveExecution | null>();

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
  attach(runId: string, execution: ActiveExecution): void {
    this.runs.set(runId, execution);
  }

  release(runId: string): void {
    this.runs.delete(runId);
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  get(runId: string): ActiveExecution | null {
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
  store: RunJournal,
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

/**
 * The recorded steps of a run this runner claimed (`read`); a run whose records cannot be read
 * is ended failed under the claim, naming the column, and `corrupt-record` is thrown.
 */
export async function readClaimedRecords(store: RunJournal, run: RunRecord, fence: Fence, now: () => number, read: () => Promise<StepRecord[]>): Promise<StepRecord[]> {
  try {
    if (run.corruption !== undefined) throw new SpineError('corrupt-record', run.corruption);
    return await read();
  } catch (error) {
    if (!(error instanceof SpineError && error.kind === 'corrupt-record')) throw error;
    const message = corruptRunMessage(run, error.message);
    await finishClaimed(store, run, fence, now(), { status: 'failed', error: message });
    throw new SpineError('corrupt-record', message, { cause: error });
  }
}

/** The first context of a recorded run that continues (resumed, or started by a worker): its identity as recorded. */
export function contextOfRun(run: RunRecord, params: Readonly<Record<string, unknown>>, metadata: Readonly<Record<string, unknown>>): WorkflowContext {
  return WorkflowContext.create({
    runId: run.runId,
    traceId: run.traceId,
    batchId: run.batchId,
    startedAt: run.startedAt,
    params,
    metadata,
    partition: run.partition,
    asOfDate: run.asOfDate,
    captureId: run.captureId,
    idempotencyKey: run.idempotencyKey,
  });
}

/** The sentence for a run whose stored record cannot be read whole. */
export function corruptRunMessage(run: RunRecord, detail: string): string {
  return `Run "${run.runId}" of workflow "${run.workflowName}" cannot be resumed: ${detail}. The run is marked failed; repair the row or start a new run.`;
}
