import type { CheckpointRecord, CheckpointSnapshot, QualityPoint, RunFilter, RunRecord } from '../core/store/records/run-record';
import type { QualityMetricsInit } from '../core/quality/quality-metrics';
import { qualityPoint } from '../core/store/quality-point';
import { TABLES, RUN_COLUMNS } from './schema/entities';
import { decodeStored, fromSqlDatetime, toSqlDatetime } from './json-codec';
import { runFromRow } from './row-mapping';
import { runFilterSql } from './run-insights.sql';
import type { SqlClient } from './sql-client';
import { heldCondition } from './held.sql';
import type { HeldDefinitions, UnheldRun } from '../core/store/records/held-definitions';

/** The TypeORM store's reads of what runs did: listings, events, checkpoints, quality trends (counts and purge: `run-insights.sql.ts`, `run-purge.ts`). */
export class HistoryRecords {
  constructor(
    private readonly sql: SqlClient,
    /** Where a run left out of a listing is reported. */
    private readonly warn: (message: string) => void,
  ) {}

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const { where, values } = runFilterSql(filter);
    const limit = filter.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
    const rows = await this.sql.all(`SELECT ${RUN_COLUMNS} FROM ${TABLES.runs}${where} ORDER BY started_at DESC, run_id DESC${limit}`, values);
    const runs: RunRecord[] = [];
    for (const run of rows.map(runFromRow)) {
      if (run.corruption === undefined) runs.push(run);
      else this.warn(`left run ${run.runId} out of a listing: ${run.corruption}.`);
    }
    return runs;
  }

  /** The events recorded for a run, in order. */
  async getRunEvents(runId: string): Promise<{ type: string; step: string | null; attempt: number | null; payload: Record<string, unknown>; createdAt: Date }[]> {
    const rows = await this.sql.all(`SELECT type, step, attempt, payload, created_at FROM ${TABLES.events} WHERE run_id = ? ORDER BY id`, [runId]);
    return rows.map((row) => ({
      type: String(row.type),
      step: row.step === null ? null : String(row.step),
      attempt: row.attempt === null ? null : Number(row.attempt),
      payload: decodeStored<Record<string, unknown>>(row.payload) ?? {},
      createdAt: fromSqlDatetime(row.created_at)!,
    }));
  }

  async listCheckpoints(runId: string): Promise<CheckpointRecord[]> {
    // every completed step row is a checkpoint; snapshots say which carry the context
    const rows = await this.sql.all(`SELECT step_name, iteration, status, finished_at FROM ${TABLES.steps} WHERE run_id = ? ORDER BY id`, [runId]);
    const snapshots = new Set(
      (await this.sql.all(`SELECT step_name, iteration FROM ${TABLES.checkpoints} WHERE run_id = ?`, [runId])).map((r) => `${String(r.step_name)}\u0000${Number(r.iteration)}`),
    );
    const checkpoints: CheckpointRecord[] = [];
    let executed = 0;
    for (const row of rows) {
      if (row.status === 'completed' || row.status === 'failed') executed++;
      if (row.status !== 'completed') continue;
      const stepName = String(row.step_name);
      const iteration = Number(row.iteration);
      checkpoints.push({ runId, stepName, iteration, executedSteps: executed, createdAt: fromSqlDatetime(row.finished_at)!, hasContext: snapshots.has(`${stepName}\u0000${iteration}`) });
    }
    return checkpoints;
  }

  async getCheckpoint(runId: string, step: string): Promise<CheckpointSnapshot | null> {
    const checkpoint = (await this.listCheckpoints(runId)).filter((c) => c.stepName === step).pop();
    if (checkpoint === undefined || !checkpoint.hasContext) return null;
    const [row] = await this.sql.all(`SELECT context FROM ${TABLES.checkpoints} WHERE run_id = ? AND step_name = ? AND iteration = ? ORDER BY id DESC LIMIT 1`, [runId, step, checkpoint.iteration]);
    const context = row === undefined ? null : decodeStored<Record<string, unknown>>(row.context);
    return context === null || context === undefined ? null : { ...checkpoint, context };
  }

  async deleteCheckpoints(runId: string): Promise<number> {
    return this.sql.run(`DELETE FROM ${TABLES.checkpoints} WHERE run_id = ?`, [runId]);
  }

  async qualityTrend(workflow: string, step: string, since: Date): Promise<QualityPoint[]> {
    const rows = await this.sql.all(
      `SELECT s.run_id, s.started_at, s.quality FROM ${TABLES.steps} s JOIN ${TABLES.runs} r ON r.run_id = s.run_id ` +
        "WHERE r.workflow_name = ? AND r.started_at >= ? AND s.step_name = ? AND s.started_at >= ? AND s.quality IS NOT NULL AND s.status IN ('completed', 'failed') " +
        'ORDER BY s.started_at, s.id',
      [workflow, toSqlDatetime(since), step, toSqlDatetime(since)],
    );
    return rows.map((row) => qualityPoint(String(row.run_id), fromSqlDatetime(row.started_at)!, decodeStored<QualityMetricsInit>(row.quality)!));
  }

  async listUnheldRuns(held: HeldDefinitions, now: Date, limit: number): Promise<UnheldRun[]> {
    const unheld = heldCondition(held, true);
    const at = toSqlDatetime(now);
    const rows = await this.sql.all(
      `SELECT ${RUN_COLUMNS} FROM ${TABLES.runs} WHERE status IN ('queued', 'waiting', 'running') AND ${unheld.sql} ` +
        `AND (status <> 'running' OR lease_owner IS NULL OR lease_expires_at <= ?) ORDER BY started_at, run_id LIMIT ${Math.max(0, Math.floor(limit))}`,
      [...unheld.values, at],
    );
    const runs = rows.map(runFromRow);
    const hashes = [...new Set(runs.map((run) => run.workflowHash))];
    const heldAt = new Map<string, Date>();
    if (hashes.length > 0) {
      const marks = await this.sql.all(`SELECT spec_hash, MAX(held_at) AS held_at FROM ${TABLES.workflows} WHERE spec_hash IN (${hashes.map(() => '?').join(', ')}) GROUP BY spec_hash`, hashes);
      for (const mark of marks) {
        const when = fromSqlDatetime(mark.held_at);
        if (when !== null) heldAt.set(String(mark.spec_hash), when);
      }
    }
    return runs.map((run) => ({ run, heldAt: heldAt.get(run.workflowHash) ?? null }));
  }
}
