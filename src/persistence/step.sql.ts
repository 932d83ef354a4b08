import type { DriverFamily } from './schema/column-types';
import { TABLES } from './schema/entities';

export const STEP_COLUMNS = [
  'run_id',
  'step_name',
  'step_type',
  'iteration',
  'attempt',
  'status',
  'idempotency_key',
  'started_at',
  'finished_at',
  'duration_ms',
  'output',
  'context_updates',
  'error',
  'error_category',
  'next_step',
  'record_count',
  'valid_count',
  'invalid_count',
  'null_count',
  'quality_passed',
  'quality',
  'quality_null_rate',
] as const;

export const ITEM_COLUMNS = [
  'run_id',
  'step_name',
  'iteration',
  'item_index',
  'status',
  'attempts',
  'output',
  'error',
  'error_step',
  'error_category',
  'epoch',
  'started_at',
  'finished_at',
  'duration_ms',
] as const;

export const SNAPSHOT_COLUMNS = ['run_id', 'step_name', 'iteration', 'executed_steps', 'context', 'created_at'] as const;

/** The rows a fenced write inserts. */
export type RowKind = 'step' | 'item' | 'snapshot';

const COLUMNS: Record<RowKind, readonly string[]> = { step: STEP_COLUMNS, item: ITEM_COLUMNS, snapshot: SNAPSHOT_COLUMNS };
const TABLE: Record<RowKind, string> = { step: TABLES.steps, item: TABLES.mapItems, snapshot: TABLES.checkpoints };

/** A queue run's claim also lapses with its lease (its slot may be another run's): values … now. */
const LIVE = '(f.claim_queue IS NULL OR f.lease_expires_at > ?)';

const list = (columns: readonly string[]): string => columns.join(', ');
const marks = (columns: readonly string[]): string => columns.map(() => '?').join(', ');

/** An item row written again (a failed item that ran again) replaces the earlier one. */
function upsert(family: DriverFamily, kind: RowKind): string {
  if (kind !== 'item') return '';
  const updated = ITEM_COLUMNS.filter((c) => !['run_id', 'step_name', 'iteration', 'item_index'].includes(c));
  return family === 'mysql'
    ? ` ON DUPLICATE KEY UPDATE ${updated.map((c) => `${c} = VALUES(${c})`).join(', ')}`
    : ` ON CONFLICT (run_id, step_name, iteration, item_index) DO UPDATE SET ${updated.map((c) => `${c} = excluded.${c}`).join(', ')}`;
}

/**
 * The statements of the hot path, per driver family: SQL that all accept ('?' placeholders,
 * unquoted snake_case names) except an item row's upsert, PostgreSQL's boolean and its row lock.
 *
 * A step row (or a map item's row, or a context snapshot) is inserted by one `INSERT … SELECT`
 * that reads the fence row in the same statement: `FROM runs f WHERE f.run_id = <fenced run> AND
 * f.lease_epoch = <epoch>` — the run's own row for a top-level run, its top-level run's for a map
 * item — so a stale writer inserts nothing. The fast variant also matches only while no cancel is
 * pending, so one statement both fences the write and reads the cancel flag: when it inserts
 * nothing the writer reads the fence row to tell why (stale, or a cancel) and, for a cancel,
 * inserts with the `anyway` variant. The run's counters are not rewritten per step. On SQLite a
 * step row's values end with its run id once more (its sequence in the run is computed from it).
 */
export interface HotPathSql {
  /** Values: row…, fenced run id, epoch, now. */
  readonly fenced: Record<RowKind, string>;
  readonly fencedAnyway: Record<RowKind, string>;
  /** Values: row…, the row's run id (an unleased writer: inserts nothing when the run is gone). */
  readonly unfenced: Record<RowKind, string>;
  /** Multi-row insert of `n` rows (a group commit whose fences were read and locked first). */
  multi(kind: RowKind, n: number): string;
  /** Values: executed, completed, failed, skipped, last completed step, updated at, run id. */
  readonly progress: string;
  /** Who holds a run: what a writer learns when its fenced write matched nothing. */
  readonly fenceRow: string;
}

const cache = new Map<DriverFamily, HotPathSql>();

export function hotPathSql(family: DriverFamily): HotPathSql {
  let sql = cache.get(family);
  if (sql !== undefined) return sql;
  // PostgreSQL's plain reads lock nothing: the fence row is share-locked by the insert itself, so a claim waits for it (as on MySQL)
  const build = (where: string, lock = family === 'postgres' ? ' FOR SHARE OF f' : '') => {
    const out = {} as Record<RowKind, string>;
    for (const kind of ['step', 'item', 'snapshot'] as const) {
      // SQLite's step table is keyed by (run, sequence): the next sequence of the run (value: its run id) comes in the same statement
      const sequenced = family === 'sqlite' && kind === 'step';
      const columns = sequenced ? `${list(COLUMNS[kind])}, id` : list(COLUMNS[kind]);
      const values = sequenced ? `${marks(COLUMNS[kind])}, COALESCE((SELECT s.id FROM ${TABLES.steps} s WHERE s.run_id = ? ORDER BY s.id DESC LIMIT 1), 0) + 1` : marks(COLUMNS[kind]);
      out[kind] = `INSERT INTO ${TABLE[kind]} (${columns}) SELECT ${values} FROM ${TABLES.runs} f WHERE ${where}${lock}${upsert(family, kind)}`;
    }
    return out;
  };
  sql = {
    fenced: build(`f.run_id = ? AND f.lease_epoch = ? AND ${family === 'postgres' ? 'NOT f.cancel_requested' : 'f.cancel_requested = 0'} AND ${LIVE}`),
    fencedAnyway: build(`f.run_id = ? AND f.lease_epoch = ? AND ${LIVE}`),
    unfenced: build('f.run_id = ?', ''),
    multi: (kind, n) => `INSERT INTO ${TABLE[kind]} (${list(COLUMNS[kind])}) VALUES ${Array.from({ length: n }, () => `(${marks(COLUMNS[kind])})`).join(', ')}${upsert(family, kind)}`,
    progress: `UPDATE ${TABLES.runs} SET executed_steps = ?, completed_steps = ?, failed_steps = ?, skipped_steps = ?, last_completed_step = ?, ` + 'updated_at = ? WHERE run_id = ?',
    fenceRow: `SELECT run_id, lease_epoch, lease_owner, status, cancel_requested, claim_queue, lease_expires_at FROM ${TABLES.runs} WHERE run_id = ?`,
  };
  cache.set(family, sql);
  return sql;
}

/** The fence row query (the same on both drivers). */
export const FENCE_ROW = `SELECT run_id, lease_epoch, lease_owner, status, cancel_requested, claim_queue, lease_expires_at FROM ${TABLES.runs} WHERE run_id = ?`;
