import type { DataSource } from 'typeorm';
import { LeaseLostError, SpineError } from '../core/errors/spine-error';
import type { CheckpointRecord, PurgeCriteria, QualityPoint, RunFilter, RunOutcome, RunProgress, RunRecord, StepRecord } from '../core/store/run-record';
import { qualityPoint } from '../core/store/quality-point';
import type { QualityMetricsInit } from '../core/quality/quality-metrics';
import type { RunEvent } from '../core/runner/run-event';
import type { WorkflowSpec } from '../core/definition/workflow-spec';
import type { ClaimOutcome, CreateRunOutcome, Lease, NewRun, RunStore } from '../core/store/run-store.port';
import { familyOf, type DriverFamily } from './schema/column-types';
import { TABLES } from './schema/entities';
import { DEFAULT_MAX_OUTPUT_BYTES, decodeStored, encodeForStorage, fromSqlDatetime, toSqlDatetime } from './json-codec';
import { partitionKey, runFromRow, stepFromRow } from './row-mapping';
import { SqliteStepWriter, type StepWrite } from './sqlite-step.writer';
import { SQL } from './step.sql';
import { SqliteClient, sqliteDatabaseOf, TypeOrmClient, type SqlClient } from './sql-client';

/** Options of the TypeORM store. */
export interface TypeOrmRunStoreOptions {
  /** Largest output or context update a step may store (default 16 MiB). */
  readonly maxOutputBytes?: number;
}

/**
 * The run store on TypeORM (better-sqlite3 embedded, or MySQL / MariaDB). A step's row, its
 * checkpoint and the run's progress commit in one transaction; on SQLite that transaction runs
 * on prepared statements and completes synchronously.
 */
export class TypeOrmRunStore implements RunStore {
  readonly durable = true;
  readonly family: DriverFamily;
  private readonly maxOutputBytes: number;
  private readonly encoded = new WeakMap<object, string>();
  private readonly sqlite: SqliteStepWriter | null;
  private readonly sql: SqlClient;

  constructor(
    readonly dataSource: DataSource,
    options: TypeOrmRunStoreOptions = {},
  ) {
    if (!dataSource.isInitialized) throw new SpineError('invalid-argument', 'TypeOrmRunStore needs an initialized DataSource (await dataSource.initialize()).');
    this.family = familyOf(dataSource.options.type);
    this.maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.sqlite = this.family === 'sqlite' ? new SqliteStepWriter(sqliteDatabaseOf(dataSource)) : null;
    this.sql = this.family === 'sqlite' ? new SqliteClient(sqliteDatabaseOf(dataSource)) : new TypeOrmClient(dataSource);
  }

  checkStorable(step: string, output: unknown, contextUpdates: unknown): string | null {
    for (const [value, what] of [[output, `the output of step "${step}"`], [contextUpdates, `the context updates of step "${step}"`]] as const) {
      if (value === null || typeof value !== 'object' || this.encoded.has(value)) continue;
      const encoded = encodeForStorage(value, what, this.maxOutputBytes);
      if ('problem' in encoded) return encoded.problem;
      this.encoded.set(value, encoded.json);
    }
    return null;
  }

  async createRun(run: NewRun): Promise<CreateRunOutcome> {
    if (run.idempotencyKey !== null) {
      const existing = await this.findOne(`idempotency_key = ?`, [run.idempotencyKey]);
      if (existing !== null) return { created: false, run: existing };
    }
    const now = toSqlDatetime(Date.now());
    const params = this.json(run.params, `the params of run "${run.runId}"`);
    try {
      await this.sql.run(
        `INSERT INTO ${TABLES.runs} (run_id, workflow_name, workflow_version, workflow_hash, domain, status, params, run_partition, ` +
          'partition_key, batch_id, trace_id, as_of_date, capture_id, idempotency_key, parent_run_id, total_steps, executed_steps, ' +
          'completed_steps, failed_steps, skipped_steps, started_at, updated_at, cancel_requested, lease_owner, lease_expires_at) ' +
          "VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?, ?, ?, ?, ?)",
        [
          run.runId, run.workflowName, run.workflowVersion, run.workflowHash, run.domain, params,
          run.partition === null ? null : JSON.stringify(run.partition), partitionKey(run.partition), run.batchId, run.traceId,
          run.asOfDate, run.captureId, run.idempotencyKey, run.parentRunId, run.totalSteps, toSqlDatetime(run.startedAt), now,
          this.family === 'sqlite' ? 0 : false, run.leaseOwner, run.leaseExpiresAt === null ? null : toSqlDatetime(run.leaseExpiresAt),
        ],
      );
    } catch (error) {
      if (run.idempotencyKey !== null) {
        const raced = await this.findOne(`idempotency_key = ?`, [run.idempotencyKey]);
        if (raced !== null) return { created: false, run: raced };
      }
      if (await this.findOne('run_id = ?', [run.runId])) {
        throw new SpineError('invalid-argument', `Run "${run.runId}" already exists; pick another run id or resume that run.`);
      }
      throw error;
    }
    return { created: true };
  }

  recordStep(step: StepRecord, progress: RunProgress): Promise<void> | void {
    const write = this.stepWrite(step, progress);
    if (this.sqlite !== null) return this.sqlite.write(write);
    return this.writeMysql(write);
  }

  async reopenRun(runId: string, params: Readonly<Record<string, unknown>>): Promise<void> {
    await this.sql.run(
      `UPDATE ${TABLES.runs} SET status = 'running', params = ?, finished_at = NULL, duration_ms = NULL, error_step = NULL, ` +
        'error = NULL, error_category = NULL, updated_at = ? WHERE run_id = ?',
      [this.json(params, `the params of run "${runId}"`), toSqlDatetime(Date.now()), runId],
    );
  }

  async finishRun(runId: string, outcome: RunOutcome): Promise<void> {
    const changed = await this.sql.run(
      `UPDATE ${TABLES.runs} SET status = ?, executed_steps = ?, completed_steps = ?, failed_steps = ?, skipped_steps = ?, ` +
        'last_completed_step = ?, finished_at = ?, duration_ms = ?, error_step = ?, error = ?, error_category = ?, updated_at = ?, ' +
        'lease_owner = NULL, lease_expires_at = NULL WHERE run_id = ? AND (lease_owner = ? OR lease_owner IS NULL)',
      [
        outcome.status, outcome.executedSteps, outcome.completedSteps, outcome.failedSteps, outcome.skippedSteps,
        outcome.lastCompletedStep, toSqlDatetime(outcome.finishedAt), outcome.durationMs, outcome.errorStep, outcome.error,
        outcome.errorCategory, toSqlDatetime(Date.now()), runId, outcome.leaseOwner,
      ],
    );
    if (changed === 0 && outcome.leaseOwner !== null) throw new LeaseLostError(runId, outcome.leaseOwner);
  }

  async claimRun(runId: string, lease: Lease, now: Date): Promise<ClaimOutcome> {
    const changed = await this.sql.run(
      `UPDATE ${TABLES.runs} SET lease_owner = ?, lease_expires_at = ?, updated_at = ? WHERE run_id = ? ` +
        "AND status NOT IN ('completed', 'cancelled') AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at < ?)",
      [lease.owner, toSqlDatetime(lease.expiresAt), toSqlDatetime(now), runId, lease.owner, toSqlDatetime(now)],
    );
    const run = await this.getRun(runId);
    return changed > 0 && run !== null ? { claimed: true, run } : { claimed: false, run };
  }

  async renewLease(runId: string, lease: Lease): Promise<{ held: boolean; cancelRequested: boolean }> {
    const changed = await this.sql.run(`UPDATE ${TABLES.runs} SET lease_expires_at = ? WHERE run_id = ? AND lease_owner = ?`, [
      toSqlDatetime(lease.expiresAt),
      runId,
      lease.owner,
    ]);
    const rows = (await this.sql.all(`SELECT cancel_requested FROM ${TABLES.runs} WHERE run_id = ?`, [runId]));
    return { held: changed > 0, cancelRequested: rows.length > 0 && Boolean(Number(rows[0]!.cancel_requested)) };
  }

  async releaseLease(runId: string, owner: string): Promise<void> {
    // long past: recovery (oldest expiry first) takes a released run before any that died
    await this.sql.run(`UPDATE ${TABLES.runs} SET lease_expires_at = ? WHERE run_id = ? AND lease_owner = ?`, [toSqlDatetime(new Date(1000)), runId, owner]);
  }

  async requestCancel(runId: string): Promise<RunRecord | null> {
    await this.sql.run(`UPDATE ${TABLES.runs} SET cancel_requested = ? WHERE run_id = ?`, [this.family === 'sqlite' ? 1 : true, runId]);
    return this.getRun(runId);
  }

  async listExpiredRuns(now: Date, limit: number): Promise<RunRecord[]> {
    const rows = (await this.sql.all(
      `SELECT * FROM ${TABLES.runs} WHERE status IN ('running', 'waiting') AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ${Math.max(0, Math.floor(limit))}`,
      [toSqlDatetime(now)],
    ));
    return rows.map(runFromRow);
  }

  getRun(runId: string): Promise<RunRecord | null> {
    return this.findOne('run_id = ?', [runId]);
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.workflow !== undefined) (where.push('workflow_name = ?'), values.push(filter.workflow));
    if (filter.status !== undefined) {
      const statuses = [filter.status].flat();
      where.push(`status IN (${statuses.map(() => '?').join(', ')})`);
      values.push(...statuses);
    }
    if (filter.batchId !== undefined) (where.push('batch_id = ?'), values.push(filter.batchId));
    if (filter.parentRunId !== undefined) (where.push('parent_run_id = ?'), values.push(filter.parentRunId));
    else if (filter.includeChildren !== true) where.push('parent_run_id IS NULL');
    if (filter.since !== undefined) (where.push('started_at >= ?'), values.push(toSqlDatetime(filter.since)));
    const limit = filter.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
    const rows = (await this.sql.all(
      `SELECT * FROM ${TABLES.runs}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, run_id DESC${limit}`,
      values,
    ));
    return rows.map(runFromRow);
  }

  async getRunSteps(runId: string): Promise<StepRecord[]> {
    const rows = (await this.sql.all(`SELECT * FROM ${TABLES.steps} WHERE run_id = ? ORDER BY id`, [runId]));
    return rows.map(stepFromRow);
  }

  async recordEvents(events: readonly RunEvent[]): Promise<void> {
    if (events.length === 0) return;
    const values: unknown[] = [];
    for (const event of events) {
      // run id, trace id and workflow are the run row's; type, step, attempt and time have columns
      const { type, runId, step, attempt, timestamp, traceId: _trace, workflow: _workflow, ...payload } = event;
      values.push(runId, type, step ?? null, attempt ?? null, JSON.stringify(payload), toSqlDatetime(timestamp));
    }
    await this.sql.run(
      `INSERT INTO ${TABLES.events} (run_id, type, step, attempt, payload, created_at) VALUES ${events.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
      values,
    );
  }

  async saveDefinition(spec: WorkflowSpec, hash: string): Promise<void> {
    const existing = (await this.sql.all(`SELECT id FROM ${TABLES.workflows} WHERE name = ? AND spec_hash = ?`, [spec.name, hash]));
    if (existing.length > 0) return;
    try {
      await this.sql.run(`INSERT INTO ${TABLES.workflows} (name, domain, version, spec, spec_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`, [
        spec.name,
        spec.domain,
        spec.version,
        JSON.stringify(spec),
        hash,
        toSqlDatetime(Date.now()),
      ]);
    } catch (error) {
      const again = (await this.sql.all(`SELECT id FROM ${TABLES.workflows} WHERE name = ? AND spec_hash = ?`, [spec.name, hash]));
      if (again.length === 0) throw error;
    }
  }

  /** The events recorded for a run, in order. */
  async getRunEvents(runId: string): Promise<{ type: string; step: string | null; attempt: number | null; payload: Record<string, unknown>; createdAt: Date }[]> {
    const rows = (await this.sql.all(`SELECT type, step, attempt, payload, created_at FROM ${TABLES.events} WHERE run_id = ? ORDER BY id`, [runId]));
    return rows.map((row) => ({
      type: String(row.type),
      step: row.step === null ? null : String(row.step),
      attempt: row.attempt === null ? null : Number(row.attempt),
      payload: decodeStored<Record<string, unknown>>(row.payload) ?? {},
      createdAt: fromSqlDatetime(row.created_at)!,
    }));
  }

  async listCheckpoints(runId: string): Promise<CheckpointRecord[]> {
    const rows = (await this.sql.all(
      `SELECT run_id, step_name, iteration, executed_steps, created_at FROM ${TABLES.checkpoints} WHERE run_id = ? ORDER BY id`,
      [runId],
    ));
    return rows.map((row) => ({
      runId: String(row.run_id),
      stepName: String(row.step_name),
      iteration: Number(row.iteration),
      executedSteps: Number(row.executed_steps),
      createdAt: fromSqlDatetime(row.created_at)!,
    }));
  }

  async qualityTrend(workflow: string, step: string, since: Date): Promise<QualityPoint[]> {
    const rows = (await this.sql.all(
      `SELECT s.run_id, s.started_at, s.quality FROM ${TABLES.steps} s JOIN ${TABLES.runs} r ON r.run_id = s.run_id ` +
        "WHERE r.workflow_name = ? AND r.started_at >= ? AND s.step_name = ? AND s.started_at >= ? AND s.quality IS NOT NULL AND s.status IN ('completed', 'failed') " +
        'ORDER BY s.started_at, s.id',
      [workflow, toSqlDatetime(since), step, toSqlDatetime(since)],
    ));
    return rows.map((row) => qualityPoint(String(row.run_id), fromSqlDatetime(row.started_at)!, decodeStored<QualityMetricsInit>(row.quality)!));
  }

  async purge(criteria: PurgeCriteria): Promise<number> {
    const statuses = criteria.keepFailed === true ? ['completed', 'cancelled'] : ['completed', 'cancelled', 'failed'];
    return this.sql.run(
      `DELETE FROM ${TABLES.runs} WHERE finished_at < ? AND status IN (${statuses.map(() => '?').join(', ')})`,
      [toSqlDatetime(criteria.before), ...statuses],
    );
  }

  private async findOne(condition: string, values: unknown[]): Promise<RunRecord | null> {
    const rows = (await this.sql.all(`SELECT * FROM ${TABLES.runs} WHERE ${condition}`, values));
    return rows.length === 0 ? null : runFromRow(rows[0]!);
  }

  /** JSON of a value the runner already checked (cached), or checked now. */
  private json(value: unknown, what: string): string {
    if (value !== null && typeof value === 'object') {
      const cached = this.encoded.get(value);
      if (cached !== undefined) return cached;
    }
    const encoded = encodeForStorage(value, what, this.maxOutputBytes);
    if ('problem' in encoded) throw new SpineError('unserializable-value', encoded.problem);
    return encoded.json;
  }

  private stepWrite(step: StepRecord, progress: RunProgress): StepWrite {
    const quality = step.quality;
    const updatedAt = toSqlDatetime(step.finishedAt);
    return {
      step: [
        step.runId, step.stepName, step.stepType, step.iteration, step.attempt, step.status, step.idempotencyKey,
        toSqlDatetime(step.startedAt), updatedAt, step.durationMs,
        step.output === null ? null : this.json(step.output, `the output of step "${step.stepName}"`),
        step.contextUpdates === null ? null : this.json(step.contextUpdates, `the context updates of step "${step.stepName}"`),
        step.error, step.errorCategory, step.nextStep,
        quality?.recordCount ?? null, quality?.validCount ?? null, quality?.invalidCount ?? null, quality?.nullCount ?? null,
        quality === null ? null : this.family === 'sqlite' ? Number(quality.passed ?? true) : (quality.passed ?? true),
        quality === null ? null : JSON.stringify(quality),
      ],
      checkpoint: step.status === 'completed' ? [step.runId, step.stepName, step.iteration, progress.executedSteps, updatedAt] : null,
      progress: [
        progress.executedSteps, progress.completedSteps, progress.failedSteps, progress.skippedSteps,
        progress.lastCompletedStep, updatedAt, step.runId, progress.leaseOwner, progress.leaseOwner,
      ],
      fenced: () => new LeaseLostError(step.runId, progress.leaseOwner ?? 'an unleased writer'),
    };
  }

  private async writeMysql(write: StepWrite): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      // The run row first: its exclusive lock is taken before the step insert's foreign-key check
      // takes a shared one (the other order deadlocks with a concurrent heartbeat on MySQL).
      const updated = (await runner.query(SQL.updateProgress, write.progress, true)) as { affected?: number };
      if ((updated.affected ?? 0) === 0) throw write.fenced();
      await runner.query(SQL.insertStep, write.step);
      if (write.checkpoint !== null) await runner.query(SQL.insertCheckpoint, write.checkpoint);
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }
}
