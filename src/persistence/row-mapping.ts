import type { ErrorCategory } from '../core/policy/error-category';
import type { QualityMetricsInit } from '../core/quality/quality-metrics';
import type { RunRecord, RunStatus, StepRecord, StepStatus } from '../core/store/records/run-record';
import type { StepType } from '../core/definition/step-definition';
import type { Partition } from '../core/context/workflow-context';
import { SpineError } from '../core/errors/spine-error';
import type { TriggerSource } from '../core/schedule/trigger';
import { decodeStored, fromSqlDatetime } from './json-codec';
import { TABLES } from './schema/entities';

export { partitionKey } from '../core/store/record-limits';

/** A row of core_workflow_runs as both drivers return it. */
export type RunRow = Record<string, unknown>;

const num = (value: unknown): number => Number(value);
const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/** Why a JSON column's text cannot be read, naming the table, the column and the run (and step). */
function unreadable(table: string, column: string, where: string, error: unknown): string {
  return `column ${table}.${column} of ${where} holds text that is not JSON (${(error as Error).message})`;
}

/**
 * A stored run row as the core's run record. A JSON column that cannot be read does not throw:
 * the record says so in `corruption` (and holds an empty value there), so one damaged row fails
 * its own run instead of every listing and recovery pass.
 */
export function runFromRow(row: RunRow): RunRecord {
  const runId = String(row.run_id);
  let corruption: string | undefined;
  const json = <T>(column: string, fallback: T): T => {
    try {
      return decodeStored<T>(row[column]) ?? fallback;
    } catch (error) {
      corruption ??= unreadable(TABLES.runs, column, `run "${runId}"`, error);
      return fallback;
    }
  };
  const record: RunRecord = {
    runId,
    workflowName: String(row.workflow_name),
    workflowVersion: num(row.workflow_version),
    workflowHash: String(row.workflow_hash),
    appVersion: row.app_version == null ? null : String(row.app_version),
    domain: str(row.domain),
    params: json<Record<string, unknown>>('params', {}),
    originalParams: row.original_params == null ? json<Record<string, unknown>>('params', {}) : json<Record<string, unknown>>('original_params', {}),
    partition: json<Partition | null>('run_partition', null),
    batchId: str(row.batch_id),
    traceId: String(row.trace_id),
    traceparent: str(row.traceparent),
    waitingFor: str(row.waiting_for),
    createdAt: row.created_at == null ? null : fromSqlDatetime(row.created_at),
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
    rootRunId: str(row.root_run_id),
    leaseOwner: str(row.lease_owner),
    leaseExpiresAt: fromSqlDatetime(row.lease_expires_at),
    leaseEpoch: num(row.lease_epoch ?? 0),
    cancelRequested: Boolean(Number(row.cancel_requested)),
    lostExecutions: num(row.lost_executions ?? 0),
    lostStep: str(row.lost_step),
    queue: str(row.queue),
    priority: num(row.priority ?? 0),
    concurrencyKey: str(row.concurrency_key),
    triggerSource: (str(row.trigger_source) ?? 'api') as TriggerSource,
    triggerSchedule: str(row.trigger_schedule),
    triggerFireTime: fromSqlDatetime(row.trigger_fire_time),
  };
  return corruption === undefined ? record : { ...record, corruption };
}

/** A stored step row as the core's step record; a JSON column that cannot be read throws `corrupt-record` naming run, step and column. */
export function stepFromRow(row: RunRow): StepRecord {
  const json = <T>(column: string): T | null => {
    try {
      return decodeStored<T>(row[column]);
    } catch (error) {
      const where = `run "${String(row.run_id)}", step "${String(row.step_name)}" (row id ${String(row.id)})`;
      throw new SpineError('corrupt-record', unreadable(TABLES.steps, column, where, error));
    }
  };
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
    output: json<Record<string, unknown>>('output'),
    contextUpdates: json<Record<string, unknown>>('context_updates'),
    error: str(row.error),
    errorCategory: str(row.error_category) as ErrorCategory | null,
    quality: json<QualityMetricsInit>('quality'),
    nextStep: str(row.next_step),
  };
}
