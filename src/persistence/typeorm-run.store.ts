import { consoleLogger } from '../core/logging/logger.port';
import type { DataSource } from 'typeorm';
import { LeaseLostError, SpineError } from '../core/errors/spine-error';
import type { ErrorCategory } from '../core/policy/error-category';
import type {
  CheckpointRecord,
  CheckpointSnapshot,
  Fenced,
  MapItemRecord,
  RunCounters,
  Fence,
  LostExecutions,
  PurgeCriteria,
  QualityPoint,
  RunFilter,
  RunOutcome,
  RunProgress,
  RunRecord,
  StepCommit,
  StepRecord,
  StoredDefinition,
  RunCount,
  QualityStepSummary,
  StoredRunEvent,
} from '../core/store/records/run-record';
import type { QualityMetricsInit } from '../core/quality/quality-metrics';
import type { RunEvent } from '../core/runner/run-event';
import type { WorkflowSpec } from '../core/definition/workflow-spec';
import type { ClaimOutcome, CreateRunOutcome, FireOutcome, FireRecord, Lease, NewRun, RenewOutcome, RunMove, ScheduleFireWrite } from '../core/store/records/store-writes';
import type { RunStore } from '../core/store/ports/spine-store';
import type { ScheduleState } from '../core/schedule/schedule';
import type { ScheduleRegistration } from '../core/schedule/schedule';
import type { SignalRecord } from '../core/store/records/signal-record';
import { ScheduleRecords } from './schedule.records';
import { HistoryRecords } from './history.records';
import { moveRunPlan } from './run-move.sql';
import { heldCondition } from './held.sql';
import type { HeldDefinitions, UnheldRun } from '../core/store/records/held-definitions';
import { DefinitionRecords } from './definition.records';
import { SystemClock, type Clock } from '../core/clock/clock.port';
import { familyOf, type DriverFamily } from './schema/column-types';
import { TABLES, RUN_COLUMNS, STEP_ROW_COLUMNS } from './schema/entities';
import { DEFAULT_MAX_OUTPUT_BYTES, decodeStored, fromSqlDatetime, toSqlDatetime } from './json-codec';
import { partitionKey, runFromRow, stepFromRow } from './row-mapping';
import { countRuns, listQualitySteps, listRunEvents } from './run-insights.sql';
import { holderOf, type RunWriter, type Statement } from './run.writer';
import { SqliteRunWriter } from './sqlite-run.writer';
import { ServerRunWriter } from './server-run.writer';
import { dialectOf, insertIgnoreTail } from './dialect';
import { poolOf, PostgresSessions } from './postgres.client';
import { PostgresWakeups } from './postgres.wakeups';
import { emitWakeups, WakeBus } from '../core/store/wake-bus';
import { TypeOrmSessions } from './sessions';
import { FENCE_ROW, hotPathSql } from './step.sql';
import { SqliteClient, sqliteDatabaseOf, TypeOrmClient, type SqlClient } from './sql-client';
import { StoredValues } from './stored-values';
import { purgeRuns } from './run-purge';
import { claimPlan, settleChildPlan } from './queue.sql';
import { QueueRecords } from './queue.records';
import type { ChildRunSummary, ClaimedRun, QueueClaimRequest, QueueStats, WorkerRecord } from '../core/store/records/queue-record';

/** Options of the TypeORM store. */
export interface TypeOrmRunStoreOptions {
  /** Largest output or context update a step may store (default 16 MiB; on MySQL also bounded by the server's max_allowed_packet). */
  readonly maxOutputBytes?: number;
  /** Where the store says what is not an error (a run skipped in a listing because a column of it is unreadable). Default: the console logger. */
  readonly warn?: (message: string) => void;
  /** The time leases, queues and record times are judged by (default the system clock; `Spine.create` gives its own). */
  readonly clock?: Clock;
}

/** The database server's own time, in UTC. */
const DATABASE_TIME: Record<DriverFamily, string> = {
  mysql: 'SELECT UTC_TIMESTAMP(6) AS now',
  sqlite: "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') AS now",
  postgres: 'SELECT clock_timestamp() AS now',
};

/** The expiry a released lease gets: long past, so recovery takes the run before any that died. */
const RELEASED_LEASE = toSqlDatetime(new Date(1000));

/**
 * The run store on TypeORM (better-sqlite3 embedded, MySQL / MariaDB, or PostgreSQL). Every write of an
 * execution is fenced by its claim's epoch (the run's own, or its top-level run's for a map
 * item); a step's row, its checkpoint and the run's progress commit in one transaction, on
 * SQLite synchronously on prepared statements.
 */
export class TypeOrmRunStore implements RunStore {
  readonly durable = true;
  readonly family: DriverFamily;
  /** What the store is, in messages: 'sqlite', 'mysql' or 'postgres'. */
  get storeName(): string {
    return this.family;
  }
  private readonly clock: Clock;
  private readonly values: StoredValues;
  private readonly writer: RunWriter;
  private readonly sql: SqlClient;
  private readonly warn: (message: string) => void;
  /** The queue's reads and its unfenced writes (children, stats, worker rows). */
  private readonly queueRecords: QueueRecords;
  /** Schedules, their fires and signals. */
  private readonly schedules: ScheduleRecords;
  /** Reads of finished work: listings, checkpoints, quality. */
  private readonly history: HistoryRecords;
  /** Code and declarative definitions. */
  private readonly definitions: DefinitionRecords;
  /** Wake-ups after its writes: within this process, and on PostgreSQL to every process (LISTEN/NOTIFY). */
  readonly wakeups: WakeBus;

  constructor(
    readonly dataSource: DataSource,
    options: TypeOrmRunStoreOptions = {},
  ) {
    if (!dataSource.isInitialized) throw new SpineError('invalid-argument', 'TypeOrmRunStore needs an initialized DataSource (await dataSource.initialize()).');
    this.family = familyOf(dataSource.options.type);
    this.clock = options.clock ?? new SystemClock();
    const now = (): number => this.clock.now();
    if (this.family === 'sqlite') {
      const client = new SqliteClient(sqliteDatabaseOf(dataSource));
      this.sql = client;
      this.writer = new SqliteRunWriter(sqliteDatabaseOf(dataSource), client, now);
    } else if (this.family === 'postgres') {
      const sessions = new PostgresSessions(dataSource);
      this.sql = sessions;
      this.writer = new ServerRunWriter(sessions, dialectOf('postgres'), now);
    } else {
      this.sql = new TypeOrmClient(dataSource);
      this.writer = new ServerRunWriter(new TypeOrmSessions(dataSource), dialectOf('mysql'), now);
    }
    this.values = new StoredValues(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES, this.family === 'mysql' ? this.sql : null);
    this.warn = options.warn ?? ((message) => consoleLogger.warn({}, message));
    this.queueRecords = new QueueRecords(this.sql, this.family, now);
    this.history = new HistoryRecords(this.sql, (message) => this.warn(message));
    this.definitions = new DefinitionRecords(this.sql, this.writer, this.values, now, (value) => this.bool(value));
    this.schedules = new ScheduleRecords(this.sql, this.writer, this.family, this.values, (run) => this.insertRuns([run], 'INSERT'), now);
    const pg = this.family === 'postgres' ? poolOf(dataSource) : null;
    this.wakeups = emitWakeups(this, pg === null ? new WakeBus() : new PostgresWakeups(pg.pool, pg.Client, (message) => this.warn(message)));
  }

  checkStorable(step: string, output: unknown, contextUpdates: unknown): string | null {
    return this.values.check(step, output, contextUpdates);
  }

  async createRun(run: NewRun): Promise<CreateRunOutcome> {
    await this.values.ready;
    if (run.idempotencyKey !== null) {
      const existing = await this.findOne(`idempotency_key = ?`, [run.idempotencyKey]);
      if (existing !== null) return { created: false, run: existing };
    }
    const insert = this.insertRuns([run], 'INSERT');
    try {
      await this.fencedWrite(run.runId, run.fence, [insert]);
    } catch (error) {
      if (error instanceof SpineError && error.kind === 'lease-lost') throw error;
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

  /** One multi-row insert of new runs (queued ones unleased, claimable from their not-before time); `tail` after the values. */
  insertRuns(runs: readonly NewRun[], verb: string, tail = ''): Statement {
    const now = toSqlDatetime(this.clock.now());
    const values: unknown[] = [];
    for (const run of runs) {
      const queued = run.enqueue ?? null;
      const leaseOwner = queued === null ? run.leaseOwner : null;
      const leaseExpiresAt = queued === null ? run.leaseExpiresAt : queued.notBefore;
      values.push(
        run.runId,
        run.workflowName,
        run.workflowVersion,
        run.workflowHash,
        run.domain,
        queued === null ? 'running' : 'queued',
        this.values.json(run.params, `the params of run "${run.runId}"`),
        run.partition === null ? null : JSON.stringify(run.partition),
        partitionKey(run.partition),
        run.batchId,
        run.traceId,
        run.asOfDate,
        run.captureId,
        run.idempotencyKey,
        run.parentRunId,
        run.rootRunId,
        run.totalSteps,
        toSqlDatetime(run.startedAt),
        now,
        this.bool(false),
        leaseOwner,
        leaseExpiresAt === null ? null : toSqlDatetime(leaseExpiresAt),
        leaseOwner === null ? 0 : 1,
        queued?.queue ?? null,
        queued?.queue ?? null,
        queued?.priority ?? 0,
        queued?.concurrencyKey ?? null,
        run.trigger?.source ?? 'api',
        run.trigger?.schedule ?? null,
        run.trigger?.fireTime == null ? null : toSqlDatetime(run.trigger.fireTime),
        now,
        run.traceparent ?? null,
        run.appVersion ?? null,
      );
    }
    const row = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
    return [
      `${verb} INTO ${TABLES.runs} (run_id, workflow_name, workflow_version, workflow_hash, domain, status, params, run_partition, ` +
        'partition_key, batch_id, trace_id, as_of_date, capture_id, idempotency_key, parent_run_id, root_run_id, total_steps, executed_steps, ' +
        'completed_steps, failed_steps, skipped_steps, started_at, updated_at, cancel_requested, lease_owner, lease_expires_at, lease_epoch, ' +
        `lost_executions, queue, claim_queue, priority, concurrency_key, trigger_source, trigger_schedule, trigger_fire_time, created_at, traceparent, app_version) VALUES ${runs.map(() => row).join(', ')}${tail}`,
      values,
    ];
  }

  async enqueueRuns(runs: readonly NewRun[], fence: Fence | null): Promise<number> {
    await this.values.ready;
    let created = 0;
    // runs that exist already are skipped (and only those: MySQL's INSERT IGNORE would also swallow data errors)
    const dialect = dialectOf(this.family);
    const [verb, tail] = [dialect.insertIgnore[0], insertIgnoreTail(dialect, 'run_id')];
    for (let i = 0; i < runs.length; i += 200) {
      let chunk = runs.slice(i, i + 200);
      if (this.family === 'mysql') {
        // MySQL counts a duplicate the ON DUPLICATE KEY clause left alone as a found row: skip the runs that exist first,
        // so the count is of runs created (a run inserted by another process between the two statements is still skipped)
        const existing = new Set(
          (
            await this.sql.all(
              `SELECT run_id FROM ${TABLES.runs} WHERE run_id IN (${chunk.map(() => '?').join(', ')})`,
              chunk.map((r) => r.runId),
            )
          ).map((row) => String(row.run_id)),
        );
        chunk = chunk.filter((run) => !existing.has(run.runId));
        if (chunk.length === 0) continue;
      }
      const insert = this.insertRuns(chunk, verb, tail);
      if (fence === null) created += await this.sql.run(...insert);
      else {
        const outcome = await this.writer.fenced(fence, [insert], false);
        if (!outcome.held) throw new LeaseLostError(chunk[0]!.runId, fence, outcome.holder);
        created += outcome.changes[0] ?? 0;
      }
    }
    return created;
  }

  claimQueued(request: QueueClaimRequest): Promise<ClaimedRun[]> {
    return this.writer.plan(() => claimPlan(request, this.family));
  }

  async requeueRuns(runs: readonly { readonly runId: string; readonly params: Readonly<Record<string, unknown>> }[], fence: Fence | null, now: Date): Promise<number> {
    let requeued = 0;
    for (let i = 0; i < runs.length; i += 100) {
      const chunk = runs.slice(i, i + 100);
      const updates: Statement[] = chunk.map(({ runId, params }) => [
        `UPDATE ${TABLES.runs} SET status = 'queued', claim_queue = queue, lease_owner = NULL, lease_expires_at = ?, cancel_requested = ?, ` +
          "original_params = COALESCE(original_params, params), params = ?, finished_at = NULL, updated_at = ? WHERE run_id = ? AND queue IS NOT NULL AND status IN ('failed', 'cancelled', 'stopped')",
        [toSqlDatetime(now), this.bool(false), this.values.json(params, `the params of run "${runId}"`), toSqlDatetime(now), runId],
      ]);
      if (fence === null) for (const update of updates) requeued += await this.sql.run(...update);
      else {
        const outcome = await this.writer.fenced(fence, updates, false);
        if (!outcome.held) throw new LeaseLostError(chunk[0]!.runId, fence, outcome.holder);
        requeued += outcome.changes.reduce((sum, n) => sum + n, 0);
      }
    }
    return requeued;
  }

  async parkRun(runId: string, fence: Fence, wakeAt: Date, waitingFor: string | null): Promise<void> {
    await this.fencedWrite(runId, fence, [
      [
        `UPDATE ${TABLES.runs} SET status = 'waiting', lease_owner = NULL, lease_expires_at = ?, waiting_for = ?, updated_at = ? WHERE run_id = ?`,
        [toSqlDatetime(wakeAt), waitingFor, toSqlDatetime(this.clock.now()), runId],
      ],
    ]);
  }

  settleChild(parentRunId: string, failed: boolean, now: Date): Promise<void> {
    return this.writer.plan(() => settleChildPlan(parentRunId, failed, now, this.family));
  }

  listChildren(parentRunId: string): Promise<ChildRunSummary[]> {
    return this.queueRecords.listChildren(parentRunId);
  }

  cancelChildren(parentRunId: string): Promise<number> {
    return this.queueRecords.cancelChildren(parentRunId);
  }

  queueStats(now: Date): Promise<QueueStats[]> {
    return this.queueRecords.queueStats(now);
  }

  saveWorker(worker: WorkerRecord): Promise<void> {
    return this.queueRecords.saveWorker(worker);
  }

  removeWorker(workerId: string): Promise<void> {
    return this.queueRecords.removeWorker(workerId);
  }

  listWorkers(): Promise<WorkerRecord[]> {
    return this.queueRecords.listWorkers();
  }

  saveSchedules(schedules: readonly ScheduleRegistration[], now: Date): Promise<ScheduleState[]> {
    return this.schedules.saveSchedules(schedules, now);
  }

  listScheduleStates(): Promise<ScheduleState[]> {
    return this.schedules.listScheduleStates();
  }

  setSchedulePaused(name: string, paused: boolean, now: Date): Promise<ScheduleState | null> {
    return this.schedules.setSchedulePaused(name, paused, now);
  }

  fireSchedule(fire: ScheduleFireWrite): Promise<FireOutcome> {
    return this.schedules.fireSchedule(fire);
  }

  moveScheduleCursor(name: string, to: Date): Promise<void> {
    return this.schedules.moveScheduleCursor(name, to);
  }

  listFires(schedule: string, from: Date, to: Date): Promise<FireRecord[]> {
    return this.schedules.listFires(schedule, from, to);
  }

  latestFires(schedules: readonly string[]): Promise<FireRecord[]> {
    return this.schedules.latestFires(schedules);
  }

  sendSignal(runId: string, name: string, payload: unknown, now: Date, dedupeId: string | null): Promise<SignalRecord> {
    return this.schedules.sendSignal(runId, name, payload, now, dedupeId);
  }

  listSignals(runId: string): Promise<SignalRecord[]> {
    return this.schedules.listSignals(runId);
  }

  consumeSignal(runId: string, name: string, consumer: string, fence: Fence | null, now: Date): Promise<SignalRecord | null> {
    return this.schedules.consumeSignal(runId, name, consumer, fence, now);
  }

  wakeRun(runId: string, now: Date): Promise<void> {
    return this.schedules.wakeRun(runId, now);
  }

  recordStep(step: StepRecord, progress: RunProgress): Promise<StepCommit> {
    const quality = step.quality;
    const updatedAt = toSqlDatetime(step.finishedAt);
    const values = this.values;
    return this.writer.commitRow({
      kind: 'step',
      runId: step.runId,
      fence: progress.fence,
      values: [
        step.runId,
        step.stepName,
        step.stepType,
        step.iteration,
        step.attempt,
        step.status,
        step.idempotencyKey,
        toSqlDatetime(step.startedAt),
        updatedAt,
        step.durationMs,
        step.output === null ? null : values.json(step.output, `the output of step "${step.stepName}"`),
        step.contextUpdates === null ? null : values.json(step.contextUpdates, `the context updates of step "${step.stepName}"`),
        values.clip(step.error),
        step.errorCategory,
        step.nextStep,
        quality?.recordCount ?? null,
        quality?.validCount ?? null,
        quality?.invalidCount ?? null,
        quality?.nullCount ?? null,
        quality === null ? null : this.bool(quality.passed ?? true),
        quality === null ? null : JSON.stringify(quality),
        quality === null ? null : nullRateOf(quality),
      ],
      progress: progress.countersDue ? [progress.executedSteps, progress.completedSteps, progress.failedSteps, progress.skippedSteps, progress.lastCompletedStep, updatedAt] : null,
      snapshot:
        progress.snapshot === null ? null : [step.runId, step.stepName, step.iteration, progress.executedSteps, values.json(progress.snapshot, `the context after step "${step.stepName}"`), updatedAt],
    });
  }

  async recordMapItem(item: MapItemRecord, fence: Fence | null): Promise<void> {
    const values = this.values;
    await this.writer.commitRow({
      kind: 'item',
      runId: item.runId,
      fence,
      values: [
        item.runId,
        item.stepName,
        item.iteration,
        item.index,
        item.status,
        item.attempts,
        item.output === null || item.output === undefined ? null : values.json(item.output, `the output of item ${item.index} of map step "${item.stepName}"`),
        values.clip(item.error),
        item.errorStep,
        item.errorCategory,
        item.epoch,
        toSqlDatetime(item.startedAt),
        toSqlDatetime(item.finishedAt),
        item.durationMs,
      ],
      progress: null,
      snapshot: null,
    });
  }

  async listMapItems(runId: string, step?: string, iteration?: number): Promise<MapItemRecord[]> {
    const one = step !== undefined && iteration !== undefined;
    const rows = await this.sql.all(
      `SELECT * FROM ${TABLES.mapItems} WHERE run_id = ?${one ? ' AND step_name = ? AND iteration = ?' : ''} ORDER BY step_name, iteration, item_index`,
      one ? [runId, step, iteration] : [runId],
    );
    return rows.map((row) => ({
      runId: String(row.run_id),
      stepName: String(row.step_name),
      iteration: Number(row.iteration),
      index: Number(row.item_index),
      status: String(row.status) as MapItemRecord['status'],
      attempts: Number(row.attempts),
      output: row.output === null ? null : decodeStored(row.output),
      error: row.error === null ? null : String(row.error),
      errorStep: row.error_step === null ? null : String(row.error_step),
      errorCategory: row.error_category === null ? null : (String(row.error_category) as ErrorCategory),
      epoch: Number(row.epoch),
      startedAt: fromSqlDatetime(row.started_at)!,
      finishedAt: fromSqlDatetime(row.finished_at)!,
      durationMs: Number(row.duration_ms),
    }));
  }

  async recordProgress(runId: string, progress: RunCounters & Fenced): Promise<void> {
    const { fence } = progress;
    // a stale execution's counters are not the run's: the epoch guards a top-level run (an item's run has no claim of its own)
    const guard = fence !== null && fence.runId === runId ? ' AND lease_epoch = ?' : '';
    await this.sql.run(`${hotPathSql(this.family).progress}${guard}`, [
      progress.executedSteps,
      progress.completedSteps,
      progress.failedSteps,
      progress.skippedSteps,
      progress.lastCompletedStep,
      toSqlDatetime(this.clock.now()),
      runId,
      ...(guard === '' ? [] : [fence!.epoch]),
    ]);
  }

  async reopenRun(runId: string, params: Readonly<Record<string, unknown>>, fence: Fence | null, lost: LostExecutions): Promise<void> {
    await this.fencedWrite(runId, fence, [
      [
        // the params it started with are kept the first time they may change (original_params assigned first: MySQL assigns left to right)
        `UPDATE ${TABLES.runs} SET status = 'running', original_params = COALESCE(original_params, params), params = ?, finished_at = NULL, duration_ms = NULL, error_step = NULL, ` +
          'error = NULL, error_category = NULL, lost_executions = ?, lost_step = ?, updated_at = ? WHERE run_id = ?',
        [this.values.json(params, `the params of run "${runId}"`), lost.count, lost.step, toSqlDatetime(this.clock.now()), runId],
      ],
    ]);
  }

  async recordInterruption(runId: string, fence: Fence | null, step: string | null, error: string): Promise<void> {
    const update: Statement = [`UPDATE ${TABLES.runs} SET error_step = ?, error = ?, updated_at = ? WHERE run_id = ?`, [step, this.values.clip(error), toSqlDatetime(this.clock.now()), runId]];
    if (fence === null) await this.sql.run(...update);
    else await this.writer.fenced(fence, [update], fence.runId === runId); // a stale execution's cause is not the run's: dropped
  }

  async finishRun(runId: string, outcome: RunOutcome, events: readonly RunEvent[] = []): Promise<void> {
    // the run's unsaved events go in the same transaction
    const update: Statement = [
      `UPDATE ${TABLES.runs} SET status = ?, executed_steps = ?, completed_steps = ?, failed_steps = ?, skipped_steps = ?, ` +
        'last_completed_step = ?, finished_at = ?, duration_ms = ?, error_step = ?, error = ?, error_category = ?, updated_at = ?, ' +
        'lease_owner = NULL, lease_expires_at = NULL, claim_queue = NULL WHERE run_id = ?',
      [
        outcome.status,
        outcome.executedSteps,
        outcome.completedSteps,
        outcome.failedSteps,
        outcome.skippedSteps,
        outcome.lastCompletedStep,
        toSqlDatetime(outcome.finishedAt),
        outcome.durationMs,
        outcome.errorStep,
        this.values.clip(outcome.error),
        outcome.errorCategory,
        toSqlDatetime(this.clock.now()),
        runId,
      ],
    ];
    const more = events.length === 0 ? [] : [this.insertEvents(events)];
    const { fence } = outcome;
    if (fence === null || fence.runId !== runId) return this.fencedWrite(runId, fence, [update, ...more]);
    if (this.family === 'postgres') return this.finishInOneStatement(runId, fence, update, more[0] ?? null);
    const written = await this.writer.fencedUpdate(fence, update, more);
    if (!written.held) throw new LeaseLostError(runId, fence, written.holder);
  }

  /**
   * PostgreSQL: the fenced finish and its events in one autocommit statement (a data-modifying
   * `WITH`: the events are inserted only for the row the fenced update returned), one round trip
   * instead of BEGIN, UPDATE, INSERT and COMMIT. Nothing written means the fence did not hold.
   */
  private async finishInOneStatement(runId: string, fence: Fence, update: Statement, events: Statement | null): Promise<void> {
    const fenced = `${update[0]} AND lease_epoch = ? AND (claim_queue IS NULL OR lease_expires_at > ?) RETURNING run_id`;
    const values = [...update[1], fence.epoch, toSqlDatetime(this.clock.now())];
    const eventValues = events?.[1] ?? [];
    const rows = Array.from({ length: eventValues.length / 6 }, () => '(?::varchar, ?::varchar, ?::varchar, ?::int, ?::jsonb, ?::timestamptz)');
    const sql =
      events === null
        ? fenced
        : `WITH u AS (${fenced}) INSERT INTO ${TABLES.events} (run_id, type, step, attempt, payload, created_at) ` +
          `SELECT v.run_id, v.type, v.step, v.attempt, v.payload, v.created_at FROM u, (VALUES ${rows.join(', ')}) AS v(run_id, type, step, attempt, payload, created_at)`;
    if ((await this.sql.run(sql, [...values, ...eventValues])) > 0) return;
    const [row] = await this.sql.all(FENCE_ROW, [runId]);
    throw new LeaseLostError(runId, fence, holderOf(row));
  }

  async claimRun(runId: string, lease: Lease, now: Date): Promise<ClaimOutcome> {
    const { row } = await this.writer.updateAndRead(
      [
        `UPDATE ${TABLES.runs} SET lease_owner = ?, lease_expires_at = ?, lease_epoch = lease_epoch + 1, updated_at = ? WHERE run_id = ? ` +
          "AND parent_run_id IS NULL AND status NOT IN ('completed', 'partial', 'cancelled') AND (lease_owner IS NULL OR lease_expires_at < ?)",
        [lease.owner, toSqlDatetime(lease.expiresAt), toSqlDatetime(now), runId, toSqlDatetime(now)],
      ],
      runId,
    );
    if (row !== null) return { claimed: true, run: runFromRow(row) };
    return { claimed: false, run: await this.getRun(runId) };
  }

  async renewLease(runId: string, fence: Fence, expiresAt: Date): Promise<RenewOutcome> {
    // a queue run's lease that ran out is not taken back: its queue slot may be another run's by now
    const changed = await this.sql.run(
      `UPDATE ${TABLES.runs} SET lease_expires_at = ? WHERE run_id = ? AND lease_epoch = ? AND lease_owner IS NOT NULL AND (claim_queue IS NULL OR lease_expires_at > ?)`,
      [toSqlDatetime(expiresAt), runId, fence.epoch, toSqlDatetime(this.clock.now())],
    );
    const [row] = await this.sql.all(FENCE_ROW, [runId]);
    const cancelRequested = row !== undefined && Boolean(Number(row.cancel_requested));
    return changed > 0 ? { held: true, cancelRequested, holder: null } : { held: false, cancelRequested, holder: holderOf(row) };
  }

  async releaseLease(runId: string, fence: Fence): Promise<void> {
    await this.sql.run(`UPDATE ${TABLES.runs} SET lease_owner = NULL, lease_expires_at = ? WHERE run_id = ? AND lease_epoch = ?`, [RELEASED_LEASE, runId, fence.epoch]);
  }

  async databaseTime(): Promise<Date> {
    const [row] = await this.sql.all(DATABASE_TIME[this.family]);
    return fromSqlDatetime(row!.now)!;
  }

  async requestCancel(runId: string): Promise<RunRecord | null> {
    await this.sql.run(`UPDATE ${TABLES.runs} SET cancel_requested = ? WHERE run_id = ? AND status NOT IN ('completed', 'partial', 'cancelled')`, [this.bool(true), runId]);
    return this.getRun(runId);
  }

  async listExpiredRuns(now: Date, limit: number, held: HeldDefinitions): Promise<RunRecord[]> {
    const ofHeld = heldCondition(held);
    const rows = await this.sql.all(
      `SELECT ${RUN_COLUMNS} FROM ${TABLES.runs} WHERE status IN ('running', 'waiting') AND lease_expires_at < ? AND parent_run_id IS NULL AND queue IS NULL AND ${ofHeld.sql} ` +
        `ORDER BY lease_expires_at LIMIT ${Math.max(0, Math.floor(limit))}`,
      [toSqlDatetime(now), ...ofHeld.values],
    );
    // a run with an unreadable column is listed all the same: resuming it marks it failed, naming the column
    return rows.map(runFromRow);
  }

  getRun(runId: string): Promise<RunRecord | null> {
    return this.findOne('run_id = ?', [runId]);
  }

  async getRunSteps(runId: string): Promise<StepRecord[]> {
    const rows = await this.sql.all(`SELECT ${STEP_ROW_COLUMNS} FROM ${TABLES.steps} WHERE run_id = ? ORDER BY id`, [runId]);
    return rows.map(stepFromRow);
  }

  async recordEvents(events: readonly RunEvent[], fence: Fence | null): Promise<void> {
    if (events.length === 0) return;
    const insert = this.insertEvents(events);
    if (fence === null) await this.sql.run(...insert);
    else await this.fencedWrite(events[0]!.runId, fence, [insert], false);
  }

  private insertEvents(events: readonly RunEvent[]): Statement {
    const values: unknown[] = [];
    for (const event of events) {
      // run id, trace id and workflow are the run row's; type, step, attempt and time have columns
      const { type, runId, step, attempt, timestamp, traceId: _trace, workflow: _workflow, ...payload } = event;
      values.push(runId, type, step ?? null, attempt ?? null, JSON.stringify(payload), toSqlDatetime(timestamp));
    }
    return [`INSERT INTO ${TABLES.events} (run_id, type, step, attempt, payload, created_at) VALUES ${events.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`, values];
  }

  saveDefinition(spec: WorkflowSpec, hash: string): Promise<void> {
    return this.definitions.saveDefinition(spec, hash);
  }

  saveStoredDefinition(definition: Omit<StoredDefinition, 'isActive' | 'createdAt' | 'updatedAt'>, now: Date): Promise<{ readonly created: boolean }> {
    return this.definitions.saveStoredDefinition(definition, now);
  }

  listStoredDefinitions(): Promise<StoredDefinition[]> {
    return this.definitions.listStoredDefinitions();
  }

  markHeld(hashes: readonly string[], at: Date): Promise<void> {
    return this.definitions.markHeld(hashes, at);
  }

  listUnheldRuns(held: HeldDefinitions, now: Date, limit: number): Promise<UnheldRun[]> {
    return this.history.listUnheldRuns(held, now, limit);
  }

  moveRun(runId: string, move: RunMove, now: Date): Promise<RunRecord | null> {
    return this.writer.plan(() => moveRunPlan(runId, move, now));
  }

  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.history.listRuns(filter);
  }

  /** The events recorded for a run, in order. */
  getRunEvents(runId: string): ReturnType<HistoryRecords['getRunEvents']> {
    return this.history.getRunEvents(runId);
  }

  listCheckpoints(runId: string): Promise<CheckpointRecord[]> {
    return this.history.listCheckpoints(runId);
  }

  getCheckpoint(runId: string, step: string): Promise<CheckpointSnapshot | null> {
    return this.history.getCheckpoint(runId, step);
  }

  deleteCheckpoints(runId: string): Promise<number> {
    return this.history.deleteCheckpoints(runId);
  }

  qualityTrend(workflow: string, step: string, since: Date): Promise<QualityPoint[]> {
    return this.history.qualityTrend(workflow, step, since);
  }

  countRuns(since: Date): Promise<RunCount[]> {
    return countRuns(this.sql, since);
  }

  listQualitySteps(since: Date): Promise<QualityStepSummary[]> {
    return listQualitySteps(this.sql, since);
  }

  listRunEvents(runId: string, limit: number): Promise<StoredRunEvent[]> {
    return listRunEvents(this.sql, runId, limit);
  }

  purge(criteria: PurgeCriteria): Promise<number> {
    return purgeRuns(this.sql, criteria);
  }

  private async findOne(condition: string, values: unknown[]): Promise<RunRecord | null> {
    const rows = await this.sql.all(`SELECT ${RUN_COLUMNS} FROM ${TABLES.runs} WHERE ${condition}`, values);
    return rows.length === 0 ? null : runFromRow(rows[0]!);
  }

  /** Runs `statements` under `fence` (plainly for an unleased writer); a stale fence writes nothing and throws `LeaseLostError`. */
  private async fencedWrite(runId: string, fence: Fence | null, statements: readonly Statement[], updatesFencedRun = fence?.runId === runId): Promise<void> {
    if (fence === null) {
      await this.writer.write(statements);
      return;
    }
    const outcome = await this.writer.fenced(fence, statements, updatesFencedRun);
    if (!outcome.held) throw new LeaseLostError(runId, fence, outcome.holder);
  }

  private bool(value: boolean): number | boolean {
    return this.family === 'sqlite' ? Number(value) : value;
  }
}

/** A step's null rate as the `quality_null_rate` column keeps it: the rate the step gave, else its counts'. */
function nullRateOf(quality: QualityMetricsInit): number {
  if (typeof quality.nullRate === 'number') return quality.nullRate;
  return quality.recordCount > 0 ? (quality.nullCount ?? 0) / quality.recordCount : 0;
}
