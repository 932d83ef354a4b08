import { NO_DEFINITIONS, type HeldDefinitions } from '../core/store/records/held-definitions';
import { unservedRuns, type ChildRunSummary, type QueueStats, type WorkerRecord } from '../core/store/records/queue-record';
import type { RunStatus } from '../core/store/records/run-record';
import { decodeStored, fromSqlDatetime, toSqlDatetime } from './json-codec';
import { UNFINISHED } from './queue.sql';
import type { DriverFamily } from './schema/column-types';
import { TABLES } from './schema/entities';
import type { SqlClient } from './sql-client';

/** A worker's row whose heartbeat is this old is removed by the next heartbeat of any worker. */
const STALE_WORKER_MS = 10 * 60_000;

/**
 * The run queue's reads and unfenced writes on TypeORM: a parent's items (listed, cancelled),
 * the per-queue statistics, and the worker rows. Claims and fenced writes are the store's.
 */
export class QueueRecords {
  constructor(
    private readonly sql: SqlClient,
    private readonly family: DriverFamily,
    /** The store's clock (epoch ms). */
    private readonly now: () => number,
  ) {}

  async listChildren(parentRunId: string): Promise<ChildRunSummary[]> {
    const rows = await this.sql.all(`SELECT run_id, status, error_step, error, error_category, last_completed_step FROM ${TABLES.runs} WHERE parent_run_id = ? ORDER BY run_id`, [parentRunId]);
    return rows.map((row) => ({
      runId: String(row.run_id),
      status: String(row.status) as RunStatus,
      errorStep: row.error_step === null ? null : String(row.error_step),
      error: row.error === null ? null : String(row.error),
      errorCategory: row.error_category === null ? null : (String(row.error_category) as ChildRunSummary['errorCategory']),
      lastCompletedStep: row.last_completed_step === null ? null : String(row.last_completed_step),
    }));
  }

  async cancelChildren(parentRunId: string): Promise<number> {
    const now = toSqlDatetime(this.now());
    // nobody holds a queued or parked item: it is cancelled at once (a claim racing this matches nothing once claim_queue is NULL)
    const ended = await this.sql.run(
      `UPDATE ${TABLES.runs} SET status = 'cancelled', cancel_requested = ?, claim_queue = NULL, lease_expires_at = NULL, finished_at = ?, updated_at = ? ` +
        "WHERE parent_run_id = ? AND (status = 'queued' OR (status = 'waiting' AND lease_owner IS NULL))",
      [this.bool(true), now, now, parentRunId],
    );
    const asked = await this.sql.run(`UPDATE ${TABLES.runs} SET cancel_requested = ? WHERE parent_run_id = ? AND status IN ${UNFINISHED}`, [this.bool(true), parentRunId]);
    return ended + asked;
  }

  async queueStats(now: Date): Promise<QueueStats[]> {
    const at = toSqlDatetime(now);
    const live = 'lease_owner IS NOT NULL AND lease_expires_at > ?';
    const rows = await this.sql.all(
      `SELECT claim_queue, SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END) AS queued, ` +
        "SUM(CASE WHEN status = 'queued' AND lease_expires_at <= ? THEN 1 ELSE 0 END) AS due, " +
        `SUM(CASE WHEN status <> 'queued' AND ${live} THEN 1 ELSE 0 END) AS running, ` +
        `SUM(CASE WHEN status <> 'queued' AND NOT (${live}) THEN 1 ELSE 0 END) AS waiting, ` +
        `MIN(CASE WHEN status = 'queued' THEN started_at END) AS oldest FROM ${TABLES.runs} WHERE claim_queue IS NOT NULL GROUP BY claim_queue ORDER BY claim_queue`,
      [at, at, at],
    );
    const keyRows = await this.sql.all(
      `SELECT claim_queue, concurrency_key, SUM(CASE WHEN ${live} THEN 1 ELSE 0 END) AS running, SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END) AS queued ` +
        `FROM ${TABLES.runs} WHERE claim_queue IS NOT NULL AND concurrency_key IS NOT NULL GROUP BY claim_queue, concurrency_key ORDER BY claim_queue, concurrency_key`,
      [at],
    );
    const queuedRows = await this.sql.all(
      `SELECT claim_queue, workflow_name, COUNT(*) AS n, MIN(started_at) AS oldest FROM ${TABLES.runs} WHERE claim_queue IS NOT NULL AND status = 'queued' GROUP BY claim_queue, workflow_name`,
    );
    const unserved = unservedRuns(
      queuedRows.map((r) => ({ queue: String(r.claim_queue), workflow: String(r.workflow_name), count: Number(r.n), oldestQueuedAt: fromSqlDatetime(r.oldest)! })),
      await this.listWorkers(),
      now,
    );
    return rows.map((row) => ({
      queue: String(row.claim_queue),
      queued: Number(row.queued),
      due: Number(row.due),
      running: Number(row.running),
      waiting: Number(row.waiting),
      oldestQueuedAt: fromSqlDatetime(row.oldest),
      keys: keyRows
        .filter((k) => k.claim_queue === row.claim_queue && (Number(k.running) > 0 || Number(k.queued) > 0))
        .map((k) => ({ key: String(k.concurrency_key), running: Number(k.running), queued: Number(k.queued) })),
      unserved: unserved.get(String(row.claim_queue)) ?? [],
    }));
  }

  async saveWorker(worker: WorkerRecord): Promise<void> {
    const columns = ['worker_id', 'hostname', 'pid', 'queues', 'workflows', 'definitions', 'app_version', 'heartbeat_ms', 'concurrency', 'running', 'started_at', 'heartbeat_at'];
    const values = [
      worker.workerId,
      worker.hostname,
      worker.pid,
      JSON.stringify(worker.queues),
      JSON.stringify(worker.workflows),
      JSON.stringify(worker.definitions),
      worker.appVersion,
      worker.heartbeatMs,
      worker.concurrency,
      worker.running,
      toSqlDatetime(worker.startedAt),
      toSqlDatetime(worker.heartbeatAt),
    ];
    const updates = ['queues', 'workflows', 'definitions', 'app_version', 'heartbeat_ms', 'concurrency', 'running', 'heartbeat_at'];
    const upsert =
      this.family === 'mysql'
        ? ` ON DUPLICATE KEY UPDATE ${updates.map((c) => `${c} = VALUES(${c})`).join(', ')}`
        : ` ON CONFLICT (worker_id) DO UPDATE SET ${updates.map((c) => `${c} = excluded.${c}`).join(', ')}`;
    await this.sql.run(`INSERT INTO ${TABLES.workers} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})${upsert}`, values);
    // a worker killed without its graceful end leaves its row: gone once silent for STALE_WORKER_MS
    await this.sql.run(`DELETE FROM ${TABLES.workers} WHERE heartbeat_at < ?`, [toSqlDatetime(worker.heartbeatAt.getTime() - STALE_WORKER_MS)]);
  }

  async removeWorker(workerId: string): Promise<void> {
    await this.sql.run(`DELETE FROM ${TABLES.workers} WHERE worker_id = ?`, [workerId]);
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    const rows = await this.sql.all(`SELECT * FROM ${TABLES.workers} ORDER BY heartbeat_at DESC, worker_id`);
    return rows.map((row) => ({
      workerId: String(row.worker_id),
      hostname: String(row.hostname),
      pid: Number(row.pid),
      queues: decodeStored<string[]>(row.queues) ?? [],
      workflows: decodeStored<string[]>(row.workflows) ?? [],
      definitions: decodeStored<HeldDefinitions>(row.definitions) ?? NO_DEFINITIONS,
      appVersion: row.app_version == null ? null : String(row.app_version),
      concurrency: Number(row.concurrency),
      running: Number(row.running),
      startedAt: fromSqlDatetime(row.started_at)!,
      heartbeatAt: fromSqlDatetime(row.heartbeat_at)!,
      heartbeatMs: row.heartbeat_ms == null ? null : Number(row.heartbeat_ms),
    }));
  }

  private bool(value: boolean): number | boolean {
    return this.family === 'sqlite' ? Number(value) : value;
  }
}
