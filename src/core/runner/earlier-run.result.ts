import { WorkflowContext } from '../context/workflow-context';
import { SpineError } from '../errors/spine-error';
import type { WorkflowDefinition } from '../definition/workflow-definition';
import type { RunRecord } from '../store/records/run-record';
import type { RunJournal } from '../store/ports/run-journal.port';
import type { RunLedger } from './run-ledger';
import type { WorkflowResult } from './workflow-result';

/**
 * The result of a run rebuilt from its records, nothing run: an earlier run that had the same
 * idempotency key (`deduplicated`), or a run that was just marked cancelled instead of resumed.
 */
export async function resultOfEarlierRun(store: RunJournal, definition: WorkflowDefinition, ledger: RunLedger, run: RunRecord, now: number, deduplicated = true): Promise<WorkflowResult> {
  if (run.workflowName !== definition.name) {
    throw new SpineError(
      'idempotency-conflict',
      `The idempotency key "${run.idempotencyKey}" belongs to run "${run.runId}" of workflow "${run.workflowName}"; it cannot start ` +
        `workflow "${definition.name}". Use keys that are unique per workflow (prefix them with the workflow's name). Nothing was recorded.`,
    );
  }
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
  const { context } = ledger.replay(definition.steps, records, initial);
  if (run.errorStep !== null && !ledger.failed.includes(run.errorStep)) ledger.failed.push(run.errorStep);
  return ledger.result({
    status: run.status,
    runId: run.runId,
    workflowName: run.workflowName,
    context,
    totalSteps: run.totalSteps,
    executedSteps: run.executedSteps,
    error: { step: run.errorStep, message: run.error, category: run.errorCategory },
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? new Date(now),
    durationMs: run.durationMs ?? 0,
    events: [],
    dryRun: false,
    deduplicated,
  });
}
