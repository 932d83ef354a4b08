import type { Fence, MapItemRecord, RunOutcome, RunProgress, StepRecord } from 'spine-orchestration';

/** A completed step execution of `runId`, with `overrides`. */
export function stepRecord(runId: string, stepName: string, at: Date, overrides: Partial<StepRecord> = {}): StepRecord {
  return {
    runId,
    stepName,
    stepType: 'lambda',
    iteration: 1,
    attempt: 1,
    status: 'completed',
    idempotencyKey: `${runId}:${stepName}:1`,
    startedAt: at,
    finishedAt: at,
    durationMs: 1,
    output: { step: stepName },
    contextUpdates: null,
    error: null,
    errorCategory: null,
    quality: null,
    nextStep: null,
    ...overrides,
  };
}

/** The counters a step commit carries, under `fence`. */
export function progress(fence: Fence | null, completedSteps: number, overrides: Partial<RunProgress> = {}): RunProgress {
  return {
    fence,
    status: 'running',
    executedSteps: completedSteps,
    completedSteps,
    failedSteps: 0,
    skippedSteps: 0,
    lastCompletedStep: null,
    countersDue: true,
    snapshot: null,
    ...overrides,
  };
}

/** How a run ended, under `fence`. */
export function outcome(fence: Fence | null, status: RunOutcome['status'], at: Date, overrides: Partial<RunOutcome> = {}): RunOutcome {
  return {
    status,
    fence,
    executedSteps: 0,
    completedSteps: 0,
    failedSteps: 0,
    skippedSteps: 0,
    lastCompletedStep: null,
    finishedAt: at,
    durationMs: 0,
    errorStep: null,
    error: status === 'failed' ? 'it failed' : null,
    errorCategory: null,
    ...overrides,
  };
}

/** A map item's row. */
export function mapItem(runId: string, index: number, at: Date, overrides: Partial<MapItemRecord> = {}): MapItemRecord {
  return {
    runId,
    stepName: 'fan',
    iteration: 1,
    index,
    status: 'completed',
    attempts: 1,
    output: { index },
    error: null,
    errorStep: null,
    errorCategory: null,
    epoch: 1,
    startedAt: at,
    finishedAt: at,
    durationMs: 1,
    ...overrides,
  };
}
