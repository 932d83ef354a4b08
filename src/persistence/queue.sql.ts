import { candidateWindow, pickClaims, rateWindow, type ClaimCandidate, type ClaimedRun, type QueueClaimRequest } from '../core/store/records/queue-record';
import type { RunStatus } from '../core/store/records/run-record';
import { holdsNothing } from '../core/store/records/held-definitions';
import { heldCondition } from './held.sql';
import type { DriverFamily } from './schema/column-types';
import { dialectOf, insertIgnoreTail } from './dialect';
import { TABLES, RUN_COLUMNS } from './schema/entities';
import { decodeStored, fromSqlDatetime, toSqlDatetime } from './json-codec';
import { runFromRow, type RunRow } from './row-mapping';

/**
 * One statement of a plan: `all` answers with rows, `run` with the number of rows it changed.
 * A plan is a generator of statements: the SQLite writer drives it synchronously inside one
 * `BEGIN IMMEDIATE` transaction, the server writer (MySQL/MariaDB, PostgreSQL) with awaits inside
 * one READ COMMITTED transaction. So the queue's transactions are written once for every driver.
 */
export type SqlOp = { readonly kind: 'all' | 'run'; readonly sql: string; readonly values: readonly unknown[] };

/** A transaction's statements, each answered by the driver; returns what the transaction found. */
export type SqlPlan<T> = Generator<SqlOp, T, unknown>;

const all = (sql: string, values: readonly unknown[]): SqlOp => ({ kind: 'all', sql, values });
const run = (sql: string, values: readonly unknown[]): SqlOp => ({ kind: 'run', sql, values });

/** Statuses of a run a worker may still have to execute. */
export const UNFINISHED = "('queued', 'running', 'waiting')";

/**
 * The claim query: a queue's due runs of the given workflows in claim order (values: queue, now,
 * the held definitions' hashes and names). MySQL/MariaDB read the claim index by name (with a small table, or many runs of
 * one workflow, the optimizer would take the workflow index and sort) and lock what they read,
 * skipping rows another claimer locked; read in index order, the scan stops at the window.
 */
export function claimCandidatesSql(family: DriverFamily, window: number, held: string, ofParent = false): string {
  const mysql = family === 'mysql';
  return (
    `SELECT run_id, status, concurrency_key, lease_owner, lease_expires_at FROM ${TABLES.runs}${mysql ? ' FORCE INDEX (ix_core_workflow_runs_claim)' : ''} ` +
    `WHERE claim_queue = ? AND lease_expires_at <= ? AND ${held} ` +
    (ofParent ? 'AND parent_run_id = ? ' : '') +
    `ORDER BY priority, lease_expires_at LIMIT ${window}${family === 'sqlite' ? '' : ' FOR UPDATE SKIP LOCKED'}`
  );
}

/**
 * The orphans of a queue: runs whose execution was lost (a lease still owned, expired), oldest
 * expiry first (values: queue, now, workflow names). Read through the index of owned runs, which
 * holds only the queue's running runs, so the claim takes them before the queued backlog at the
 * cost of a short range scan.
 */
export function orphanCandidatesSql(family: DriverFamily, window: number, held: string, ofParent = false): string {
  const mysql = family === 'mysql';
  return (
    `SELECT run_id, status, concurrency_key, lease_owner, lease_expires_at FROM ${TABLES.runs}${mysql ? ' FORCE INDEX (ix_core_workflow_runs_leased)' : ''} ` +
    `WHERE claim_queue = ? AND lease_owner IS NOT NULL AND lease_expires_at <= ? AND ${held} ` +
    (ofParent ? 'AND parent_run_id = ? ' : '') +
    `ORDER BY lease_expires_at, run_id LIMIT ${window}${family === 'sqlite' ? '' : ' FOR UPDATE SKIP LOCKED'}`
  );
}

/**
 * A worker's claim, per queue in the request's order: the queue's row locked first when the queue
 * has a concurrency or rate limit (or, once seen, when a candidate has a concurrency key), so
 * claims counting the same limit are serialised; the live leases of the queue counted; candidates
 * read in claim-index order (MySQL, PostgreSQL: `FOR UPDATE SKIP LOCKED`: a run another claimer holds is
 * passed over, not waited for); `pickClaims` decides; each picked run gets a new epoch and the
 * lease; the rate window's start times are written back.
 */
export function* claimPlan(request: QueueClaimRequest, family: DriverFamily): SqlPlan<ClaimedRun[]> {
  const dialect = dialectOf(family);
  const now = toSqlDatetime(request.now);
  const expires = toSqlDatetime(request.leaseExpiresAt);
  const claimed: ClaimedRun[] = [];
  if (holdsNothing(request.held)) return claimed;
  const held = heldCondition(request.held);
  for (const { name, limits } of request.queues) {
    const free = request.max - claimed.length;
    if (free <= 0) break;
    let starts: number[] | null = null;
    // the time starts are counted at: taken once the queue's row is locked (a claim that waited for
    // the lock must not record its starts in the past, where the next claims would not see them)
    let at = request.now.getTime();
    const lockQueue = function* (): SqlPlan<number[]> {
      const select = all(`SELECT recent_starts FROM ${TABLES.queues} WHERE name = ?${dialect.forUpdate}`, [name]);
      let rows = (yield select) as RunRow[];
      if (rows.length === 0) {
        // the queue's first claim (inserting first, always, would take a shared lock on the row and deadlock two claimers upgrading it)
        yield run(`${dialect.insertIgnore[0]} INTO ${TABLES.queues} (name, recent_starts, updated_at) VALUES (?, '[]', ?)${insertIgnoreTail(dialect, 'name')}`, [name, now]);
        rows = (yield select) as RunRow[];
      }
      at = Math.max(at, request.clock?.() ?? at);
      return decodeStored<number[]>(rows[0]?.recent_starts) ?? [];
    };
    if (limits.concurrency !== undefined || limits.rateLimit !== undefined) starts = yield* lockQueue();
    let room = free;
    if (limits.concurrency !== undefined) {
      const rows = (yield all(`SELECT COUNT(*) AS n FROM ${TABLES.runs} WHERE claim_queue = ? AND lease_owner IS NOT NULL AND lease_expires_at > ?`, [name, now])) as RunRow[];
      room = Math.min(room, limits.concurrency - Number(rows[0]?.n ?? 0));
    }
    if (room <= 0) continue;
    const values = [name, now, ...held.values, ...(request.parentRunId === undefined ? [] : [request.parentRunId])];
    // recovery first: runs whose execution was lost go before the queued backlog, however long it is
    const orphans = (yield all(orphanCandidatesSql(family, candidateWindow(room), held.sql, request.parentRunId !== undefined), values)) as RunRow[];
    const seen = new Set(orphans.map((row) => String(row.run_id)));
    const backlog = (yield all(claimCandidatesSql(family, candidateWindow(room), held.sql, request.parentRunId !== undefined), values)) as RunRow[];
    const rows = [...orphans, ...backlog.filter((row) => !seen.has(String(row.run_id)))];
    if (rows.length === 0) continue;
    const candidates: ClaimCandidate[] = rows.map((row) => ({
      runId: String(row.run_id),
      status: String(row.status) as RunStatus,
      concurrencyKey: row.concurrency_key === null ? null : String(row.concurrency_key),
      leaseOwner: row.lease_owner === null ? null : String(row.lease_owner),
      dueAt: fromSqlDatetime(row.lease_expires_at),
    }));
    const keys = [...new Set(candidates.flatMap((c) => (c.concurrencyKey === null ? [] : [c.concurrencyKey])))];
    if (keys.length > 0 && starts === null) starts = yield* lockQueue();
    const keyRunning = new Map<string, number>();
    if (keys.length > 0) {
      const counted = (yield all(
        `SELECT concurrency_key, COUNT(*) AS n FROM ${TABLES.runs} WHERE concurrency_key IN (${keys.map(() => '?').join(', ')}) ` +
          'AND lease_owner IS NOT NULL AND lease_expires_at > ? GROUP BY concurrency_key',
        [...keys, now],
      )) as RunRow[];
      for (const row of counted) keyRunning.set(String(row.concurrency_key), Number(row.n));
    }
    const window = rateWindow(starts ?? [], limits, at);
    const startedAt = toSqlDatetime(at);
    const picked = pickClaims(candidates, limits, { room, rateRoom: window.room }, keyRunning);
    const taken: string[] = [];
    const first = new Set<string>();
    const lost = new Set(picked.filter((p) => p.status === 'running' && p.leaseOwner !== null).map((p) => p.runId));
    for (const pick of picked) {
      // started_at before status: MySQL evaluates a SET list left to right, on the new values
      const changed = (yield run(
        `UPDATE ${TABLES.runs} SET started_at = CASE WHEN status = 'queued' THEN ? ELSE started_at END, ` +
          "status = CASE WHEN status = 'queued' THEN 'running' ELSE status END, lease_owner = ?, lease_expires_at = ?, " +
          'lease_epoch = lease_epoch + 1, updated_at = ? WHERE run_id = ? AND claim_queue IS NOT NULL AND lease_expires_at <= ?',
        [startedAt, request.owner, expires, now, pick.runId, now],
      )) as number;
      if (changed === 0) continue;
      taken.push(pick.runId);
      if (pick.status === 'queued') {
        first.add(pick.runId);
        window.recent.push(at);
      }
    }
    if (limits.rateLimit !== undefined && first.size > 0) {
      yield run(`UPDATE ${TABLES.queues} SET recent_starts = ?, updated_at = ? WHERE name = ?`, [JSON.stringify(window.recent), now, name]);
    }
    if (taken.length === 0) continue;
    const back = (yield all(`SELECT ${RUN_COLUMNS} FROM ${TABLES.runs} WHERE run_id IN (${taken.map(() => '?').join(', ')})`, taken)) as RunRow[];
    const byId = new Map(back.map((row) => [String(row.run_id), row]));
    const due = new Map(picked.map((p) => [p.runId, p.dueAt ?? null]));
    for (const runId of taken) claimed.push({ run: runFromRow(byId.get(runId)!), firstStart: first.has(runId), lost: lost.has(runId), dueAt: due.get(runId) ?? null });
  }
  return claimed;
}

/**
 * After a distributed map's item finished: the parent's row is locked first (MySQL), so items
 * finishing at once settle one after the other and the last one sees every other finished; the
 * parent, parked, is woken when nothing is left unsettled or this item failed.
 */
export function* settleChildPlan(parentRunId: string, failed: boolean, now: Date, family: DriverFamily): SqlPlan<void> {
  const parent = (yield all(`SELECT status, lease_owner FROM ${TABLES.runs} WHERE run_id = ?${dialectOf(family).forUpdate}`, [parentRunId])) as RunRow[];
  const row = parent[0];
  if (row === undefined || String(row.status) !== 'waiting' || row.lease_owner !== null) return;
  if (!failed) {
    const open = (yield all(`SELECT run_id FROM ${TABLES.runs} WHERE parent_run_id = ? AND status IN ${UNFINISHED} AND claim_queue IS NOT NULL LIMIT 1`, [parentRunId])) as RunRow[];
    if (open.length > 0) return;
  }
  yield run(`UPDATE ${TABLES.runs} SET lease_expires_at = ? WHERE run_id = ? AND status = 'waiting' AND lease_owner IS NULL`, [toSqlDatetime(now), parentRunId]);
}
