import { WorkflowContext } from '../context/workflow-context';
import type { WorkflowDefinition } from '../definition/workflow-definition';
import type { RunRecord } from '../store/run-record';
import type { RunStore } from '../store/run-store.port';
import type { RunLedger } from './run-ledger';
import type { WorkflowResult } from './workflow-result';

/** The result of an earlier run that had the same idempotency key, rebuilt from its records (nothing is run). */
export async function resultOfEarlierRun(
  store: RunStore,
  definition: WorkflowDefinition,
  ledger: RunLedger,
  run: RunRecord,
  now: number,
): Promise<WorkflowResult> {
  const records = await store.getRunSteps(run.runId);
  const initial = WorkflowContext.create({
    runId: run.runId,
    traceId: run.traceId,
    batchId: run.batchId,
    startedAt: run.startedAt,
    params: run.params,
    metadata: { workflow: run.workflowName },
    partition: run.partition,
    asOfDate: run.asOfDate,
    captureId: run.captureId,
    idempotencyKey: run.idempotencyKey,
  });
  const sameWorkflow = run.workflowName === definition.name;
  const { context } = sameWorkflow ? ledger.replay(definition.steps, records, initial) : { context: initial };
  if (run.errorStep !== null && !ledger.failed.includes(run.errorStep)) ledger.failed.push(run.errorStep);
  return {
    status: run.status,
    runId: run.runId,
    workflowName: run.workflowName,
    context,
    completedSteps: ledger.completed,
    failedSteps: ledger.failed,
    skippedSteps: ledger.skipped,
    totalSteps: run.totalSteps,
    executedSteps: run.executedSteps,
    errorStep: run.errorStep,
    error: run.error,
    errorCategory: run.errorCategory,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? new Date(now),
    durationMs: run.durationMs ?? 0,
    steps: ledger.executions,
    events: [],
    dryRun: false,
    deduplicated: true,
  };
}
