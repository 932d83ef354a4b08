import type { QualityStepSummary, RunCount, RunFilter, RunStatus, StoredRunEvent } from '../core/store/records/run-record';
import { decodeStored, fromSqlDatetime, toSqlDatetime } from './json-codec';
import { TABLES } from './schema/entities';
import type { SqlClient } from './sql-client';

/**
 * The WHERE clause of a runs listing. Every filter but `trigger` and `partition` is served by an
 * index (workflow/status/top-level, each by start time); those two are checked on the rows the
 * newest-first index walk reads, so a page stops at its limit. `before` is a keyset cursor:
 * `(started_at, run_id)` below the cursor's, the same cost at any depth.
 */
export function runFilterSql(filter: RunFilter): { where: string; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (condition: string, ...args: unknown[]): void => void (where.push(condition), values.push(...args));
  if (filter.workflow !== undefined) add('workflow_name = ?', filter.workflow);
  if (filter.status !== undefined) {
    const statuses = [filter.status].flat();
    add(`status IN (${statuses.map(() => '?').join(', ')})`, ...statuses);
  }
  if (filter.batchId !== undefined) add('batch_id = ?', filter.batchId);
  if (filter.parentRunId !== undefined) add('parent_run_id = ?', filter.parentRunId);
  else if (filter.includeChildren !== true) add('parent_run_id IS NULL');
  if (filter.since !== undefined) add('started_at >= ?', toSqlDatetime(filter.since));
  if (filter.until !== undefined) add('started_at < ?', toSqlDatetime(filter.until));
  if (filter.trigger !== undefined) add('trigger_source = ?', filter.trigger);
  if (filter.partition !== undefined) add("partition_key LIKE ? ESCAPE '!'", `%${filter.partition.replace(/[!%_]/g, (c) => `!${c}`)}%`);
  if (filter.before !== undefined) {
    const at = toSqlDatetime(filter.before.startedAt);
    // the bound on started_at alone lets the index walk start at the cursor instead of at the newest run
    add('started_at <= ? AND (started_at < ? OR run_id < ?)', at, at, filter.before.runId);
  }
  return { where: where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '', values };
}

/** Top-level runs started since `since`, counted by workflow and status (the workflow index, then the rows). */
export async function countRuns(sql: SqlClient, since: Date): Promise<RunCount[]> {
  const rows = await sql.all(
    `SELECT workflow_name, status, COUNT(*) AS n, MAX(started_at) AS last_started FROM ${TABLES.runs} ` + 'WHERE started_at >= ? AND parent_run_id IS NULL GROUP BY workflow_name, status',
    [toSqlDatetime(since)],
  );
  return rows.map((row) => ({
    workflow: String(row.workflow_name),
    status: String(row.status) as RunStatus,
    count: Number(row.n),
    lastStartedAt: fromSqlDatetime(row.last_started)!,
  }));
}

/** The workflow steps with quality metrics in runs started since `since`, with pass/fail totals. */
export async function listQualitySteps(sql: SqlClient, since: Date): Promise<QualityStepSummary[]> {
  const at = toSqlDatetime(since);
  const rows = await sql.all(
    'SELECT r.workflow_name, s.step_name, COUNT(*) AS n, ' +
      'SUM(CASE WHEN NOT s.quality_passed THEN 1 ELSE 0 END) AS failed, MAX(s.started_at) AS last_at ' +
      `FROM ${TABLES.steps} s JOIN ${TABLES.runs} r ON r.run_id = s.run_id ` +
      "WHERE r.started_at >= ? AND s.started_at >= ? AND s.quality IS NOT NULL AND s.status IN ('completed', 'failed') " +
      'GROUP BY r.workflow_name, s.step_name ORDER BY r.workflow_name, s.step_name',
    [at, at],
  );
  return rows.map((row) => {
    const executions = Number(row.n);
    const failed = Number(row.failed ?? 0);
    return { workflow: String(row.workflow_name), step: String(row.step_name), executions, passed: executions - failed, failed, lastAt: fromSqlDatetime(row.last_at)! };
  });
}

/** The run's events as stored, oldest first (the events index: run, id). */
export async function listRunEvents(sql: SqlClient, runId: string, limit: number): Promise<StoredRunEvent[]> {
  const rows = await sql.all(`SELECT id, type, step, attempt, payload, created_at FROM ${TABLES.events} WHERE run_id = ? ORDER BY id LIMIT ${Math.max(0, Math.floor(limit))}`, [runId]);
  return rows.map((row) => {
    let payload: Record<string, unknown>;
    try {
      payload = decodeStored<Record<string, unknown>>(row.payload) ?? {};
    } catch {
      payload = { unreadable: String(row.payload) };
    }
    return {
      id: Number(row.id),
      type: String(row.type),
      step: row.step === null ? null : String(row.step),
      attempt: row.attempt === null ? null : Number(row.attempt),
      payload,
      at: fromSqlDatetime(row.created_at)!,
    };
  });
}
