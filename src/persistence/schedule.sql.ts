import { SpineError } from '../core/errors/spine-error';
import type { CatchUpPolicy, ScheduleState } from '../core/schedule/schedule';
import type { TriggerSource } from '../core/schedule/trigger';
import type { FireOutcome, FireRecord, ScheduleFireWrite } from '../core/store/records/store-writes';
import type { RunStatus } from '../core/store/records/run-record';
import type { SignalRecord } from '../core/store/records/signal-record';
import { decodeStored, fromSqlDatetime, toSqlDatetime } from './json-codec';
import type { SqlOp, SqlPlan } from './queue.sql';
import type { RunRow } from './row-mapping';
import type { DriverFamily } from './schema/column-types';
import { dialectOf } from './dialect';
import { TABLES } from './schema/entities';
import type { Statement } from './run.writer';

const all = (sql: string, values: readonly unknown[]): SqlOp => ({ kind: 'all', sql, values });
const run = (sql: string, values: readonly unknown[]): SqlOp => ({ kind: 'run', sql, values });

/** A schedule's row as its state. */
export function scheduleFromRow(row: RunRow): ScheduleState {
  return {
    name: String(row.name),
    workflow: String(row.workflow),
    paused: Boolean(Number(row.paused)),
    cursor: fromSqlDatetime(row.fire_cursor),
    updatedAt: fromSqlDatetime(row.updated_at)!,
    declaration:
      row.cron == null || row.timezone == null
        ? null
        : {
            cron: String(row.cron),
            timezone: String(row.timezone),
            calendar: row.calendar == null ? null : String(row.calendar),
            catchUp: String(row.catch_up ?? 'latest') as CatchUpPolicy,
            description: row.description == null ? null : String(row.description),
          },
  };
}

/** A fire's row (joined with its run's status) as a fire record. */
export function fireFromRow(row: RunRow): FireRecord {
  return {
    schedule: String(row.schedule_name),
    fireTime: fromSqlDatetime(row.fire_time)!,
    runId: row.run_id === null || row.run_id === undefined ? null : String(row.run_id),
    source: String(row.source) as TriggerSource,
    error: row.error === null || row.error === undefined ? null : String(row.error),
    firedAt: fromSqlDatetime(row.fired_at)!,
    runStatus: row.run_status === null || row.run_status === undefined ? null : (String(row.run_status) as RunStatus),
  };
}

/** A signal's row as a signal record. */
export function signalFromRow(row: RunRow): SignalRecord {
  return {
    signalId: Number(row.id),
    runId: String(row.run_id),
    name: String(row.name),
    payload: decodeStored<unknown>(row.payload) ?? null,
    sentAt: fromSqlDatetime(row.sent_at)!,
    consumedBy: row.consumed_by === null || row.consumed_by === undefined ? null : String(row.consumed_by),
    consumedAt: fromSqlDatetime(row.consumed_at),
    dedupeId: row.dedupe_id === null || row.dedupe_id === undefined ? null : String(row.dedupe_id),
  };
}

/** The fires of a schedule, each with its run's status (values: schedule, from, to). */
export const FIRES_BETWEEN =
  `SELECT f.schedule_name, f.fire_time, f.run_id, f.source, f.error, f.fired_at, r.status AS run_status FROM ${TABLES.fires} f ` +
  `LEFT JOIN ${TABLES.runs} r ON r.run_id = f.run_id WHERE f.schedule_name = ? AND f.fire_time >= ? AND f.fire_time <= ? ORDER BY f.fire_time`;

/** The id the connection's last insert drew (an auto-increment, a serial's sequence). */
const LAST_ID: Record<DriverFamily, string> = { mysql: 'SELECT LAST_INSERT_ID() AS id', sqlite: 'SELECT last_insert_rowid() AS id', postgres: 'SELECT lastval() AS id' };

/** The newest fire of a schedule (values: schedule). */
export const LATEST_FIRE =
  `SELECT f.schedule_name, f.fire_time, f.run_id, f.source, f.error, f.fired_at, r.status AS run_status FROM ${TABLES.fires} f ` +
  `LEFT JOIN ${TABLES.runs} r ON r.run_id = f.run_id WHERE f.schedule_name = ? ORDER BY f.fire_time DESC LIMIT 1`;

/**
 * One fire, in one transaction: the schedule's row locked first (so fires of one schedule, from
 * any process, are serialised), a scheduler's fire checked against pause and cursor, the fire row
 * inserted unless the fire time was fired before, its run created (`insertRun`), the cursor moved.
 */
export function* firePlan(fire: ScheduleFireWrite, insertRun: Statement | null, family: DriverFamily, firedAt: number): SqlPlan<FireOutcome> {
  const lock = dialectOf(family).forUpdate;
  const rows = (yield all(`SELECT paused, fire_cursor FROM ${TABLES.schedules} WHERE name = ?${lock}`, [fire.schedule])) as RunRow[];
  const state = rows[0];
  if (state === undefined) {
    if (fire.scheduled) return { fired: false, reason: 'paused', runId: null };
    throw new SpineError('unknown-schedule', `Schedule "${fire.schedule}" is not registered on this database (a Spine declaring it registers it when it starts).`);
  }
  if (fire.scheduled) {
    if (Number(state.paused)) return { fired: false, reason: 'paused', runId: null };
    const cursor = fromSqlDatetime(state.fire_cursor);
    if (cursor !== null && cursor.getTime() >= fire.fireTime.getTime()) return { fired: false, reason: 'handled', runId: null };
  }
  const at = toSqlDatetime(fire.fireTime);
  const existing = (yield all(`SELECT run_id FROM ${TABLES.fires} WHERE schedule_name = ? AND fire_time = ?`, [fire.schedule, at])) as RunRow[];
  if (existing[0] !== undefined) {
    const runId = existing[0].run_id;
    return { fired: false, reason: 'exists', runId: runId === null || runId === undefined ? null : String(runId) };
  }
  const now = toSqlDatetime(firedAt);
  yield run(`INSERT INTO ${TABLES.fires} (schedule_name, fire_time, run_id, source, error, fired_at) VALUES (?, ?, ?, ?, ?, ?)`, [
    fire.schedule,
    at,
    fire.run?.runId ?? null,
    fire.source,
    fire.error,
    now,
  ]);
  if (insertRun !== null) yield run(insertRun[0], insertRun[1]);
  if (fire.scheduled) yield run(`UPDATE ${TABLES.schedules} SET fire_cursor = ?, updated_at = ? WHERE name = ?`, [at, now, fire.schedule]);
  return { fired: true, runId: fire.run?.runId ?? null };
}

/** Pauses or resumes a schedule; resuming moves its cursor to now (the paused fires are not caught up). */
export function* pausePlan(name: string, paused: boolean, now: Date, family: DriverFamily): SqlPlan<ScheduleState | null> {
  const lock = dialectOf(family).forUpdate;
  const rows = (yield all(`SELECT * FROM ${TABLES.schedules} WHERE name = ?${lock}`, [name])) as RunRow[];
  if (rows[0] === undefined) return null;
  const state = scheduleFromRow(rows[0]);
  const cursor = state.paused && !paused && (state.cursor === null || state.cursor < now) ? now : state.cursor;
  yield run(`UPDATE ${TABLES.schedules} SET paused = ?, fire_cursor = ?, updated_at = ? WHERE name = ?`, [
    family === 'sqlite' ? Number(paused) : paused,
    cursor === null ? null : toSqlDatetime(cursor),
    toSqlDatetime(now),
    name,
  ]);
  return { ...state, paused, cursor, updatedAt: now };
}

/**
 * Sends a signal: the run's row locked first (so a run parking at the same time either parks
 * before — and is woken here — or after, and sees the signal when it looks again), refused for an
 * unknown, completed or cancelled run (a failed or stopped one keeps it for its resume); a run
 * parked with no owner made due now; the signal inserted.
 */
export function* signalPlan(runId: string, name: string, payload: string, now: Date, family: DriverFamily, dedupeId: string | null): SqlPlan<SignalRecord> {
  const lock = dialectOf(family).forUpdate;
  const rows = (yield all(`SELECT status, lease_owner, lease_expires_at, waiting_for, workflow_name FROM ${TABLES.runs} WHERE run_id = ?${lock}`, [runId])) as RunRow[];
  const row = rows[0];
  if (row === undefined) throw new SpineError('unknown-run', `Run "${runId}" is not in the run store; the signal "${name}" was not sent.`);
  const status = String(row.status);
  if (status === 'completed' || status === 'partial' || status === 'cancelled') {
    throw new SpineError('run-finished', `Run "${runId}" of workflow "${String(row.workflow_name)}" is ${status}; the signal "${name}" was not sent (a completed or cancelled run takes no signals).`);
  }
  if (dedupeId !== null) {
    // a retried send: the run's row lock above serialises senders, so the first one's row is seen here
    const sent = (yield all(`SELECT * FROM ${TABLES.signals} WHERE run_id = ? AND dedupe_id = ?`, [runId, dedupeId])) as RunRow[];
    if (sent[0] !== undefined) return signalFromRow(sent[0]);
  }
  const at = toSqlDatetime(now);
  // only the signal it waits for wakes a parked run, and only once: a run already due is left as it is
  const due = fromSqlDatetime(row.lease_expires_at);
  if (status === 'waiting' && row.lease_owner === null && row.waiting_for === name && (due === null || due.getTime() > now.getTime())) {
    yield run(`UPDATE ${TABLES.runs} SET lease_expires_at = ? WHERE run_id = ?`, [at, runId]);
  }
  yield run(`INSERT INTO ${TABLES.signals} (run_id, name, payload, sent_at, dedupe_id) VALUES (?, ?, ?, ?, ?)`, [runId, name, payload, at, dedupeId]);
  const id = (yield all(LAST_ID[family], [])) as RunRow[];
  return { signalId: Number(id[0]!.id), runId, name, payload: JSON.parse(payload) as unknown, sentAt: now, consumedBy: null, consumedAt: null, dedupeId };
}
