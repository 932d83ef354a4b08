import type { ErrorCategory } from '../core/policy/error-category';
import type { QualityMetricsInit } from '../core/quality/quality-metrics';
import type { RunRecord, RunStatus, StepRecord, StepStatus } from '../core/store/run-record';
import type { StepType } from '../core/definition/step-definition';
import type { Partition } from '../core/context/workflow-context';
import { decodeStored, fromSqlDatetime } from './json-codec';

/** A row of core_workflow_runs as both drivers return it. */
export type RunRow = Record<string, unknown>;

const num = (value: unknown): number => Number(value);
const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/** A stored run row as the core's run record. */
export function runFromRow(row: RunRow): RunRecord {
  return {
    runId: String(row.run_id),
    workflowName: String(row.workflow_name),
    workflowVersion: num(row.workflow_version),
    workflowHash: String(row.workflow_hash),
    domain: str(row.domain),
    params: decodeStored<Record<string, unknown>>(row.params) ?? {},
    partition: decodeStored<Partition>(row.run_partition),
    batchId: str(row.batch_id),
    traceId: String(row.trace_id),
    asOfDate: str(row.as_of_date),
    captureId: str(row.capture_id),
    idempotencyKey: str(row.idempotency_key),
    parentRunId: str(row.parent_run_id),
    totalSteps: num(row.total_steps),
    status: String(row.status) as RunStatus,
    executedSteps: num(row.executed_steps),
    completedSteps: num(row.completed_steps),
    failedSteps: num(row.failed_steps),
    skippedSteps: num(row.skipped_steps),
    lastCompletedStep: str(row.last_completed_step),
    startedAt: fromSqlDatetime(row.started_at)!,
    finishedAt: fromSqlDatetime(row.finished_at),
    durationMs: row.duration_ms === null || row.duration_ms === undefined ? null : num(row.duration_ms),
    errorStep: str(row.error_step),
    error: str(row.error),
    errorCategory: str(row.error_category) as ErrorCategory | null,
    leaseOwner: str(row.lease_owner),
    leaseExpiresAt: fromSqlDatetime(row.lease_expires_at),
    cancelRequested: Boolean(Number(row.cancel_requested)),
  };
}

/** A stored step row as the core's step record. */
export function stepFromRow(row: RunRow): StepRecord {
  return {
    runId: String(row.run_id),
    stepName: String(row.step_name),
    stepType: String(row.step_type) as StepType,
    iteration: num(row.iteration),
    attempt: num(row.attempt),
    status: String(row.status) as StepStatus,
    idempotencyKey: String(row.idempotency_key),
    startedAt: fromSqlDatetime(row.started_at)!,
    finishedAt: fromSqlDatetime(row.finished_at)!,
    durationMs: num(row.duration_ms),
    output: decodeStored<Record<string, unknown>>(row.output),
    contextUpdates: decodeStored<Record<string, unknown>>(row.context_updates),
    error: str(row.error),
    errorCategory: str(row.error_category) as ErrorCategory | null,
    quality: decodeStored<QualityMetricsInit>(row.quality),
    nextStep: str(row.next_step),
  };
}

/** A stable text key of a partition for indexed look-ups ('tier=OTC|week_ending=2026-01-09'). */
export function partitionKey(partition: Partition | null): string | null {
  if (partition === null) return null;
  return Object.keys(partition)
    .sort()
    .map((key) => `${key}=${partition[key]}`)
    .join('|');
}
