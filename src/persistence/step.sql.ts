import { TABLES } from './schema/entities';

const STEP_COLUMNS = [
  'run_id', 'step_name', 'step_type', 'iteration', 'attempt', 'status', 'idempotency_key', 'started_at', 'finished_at',
  'duration_ms', 'output', 'context_updates', 'error', 'error_category', 'next_step', 'record_count', 'valid_count',
  'invalid_count', 'null_count', 'quality_passed', 'quality',
] as const;

// status stays 'running' while steps commit (set by create / reopen / finish): leaving it out of
// the SET list spares the two indexes on it a rewrite per step.
const PROGRESS = `UPDATE ${TABLES.runs} SET executed_steps = ?, completed_steps = ?, failed_steps = ?, skipped_steps = ?, last_completed_step = ?, updated_at = ?`;

/** A queue run's claim also lapses with its lease (its slot may be another run's): values … now. */
const LIVE = '(claim_queue IS NULL OR lease_expires_at > ?)';

/**
 * The statements of a step commit. SQL that both drivers accept: '?' placeholders, unquoted
 * snake_case names. The progress update carries the fence: the run's own epoch for a top-level
 * run, its top-level run's for a map item (an `EXISTS` on SQLite; MySQL locks that row first,
 * since it refuses a subquery on the table it updates). The fast variants also match only while
 * no cancel is pending, so one statement both fences the write and reads the cancel flag: when
 * it matches nothing the writer looks why (stale, or a cancel) and, for a cancel, writes anyway.
 */
export const SQL = {
  insertStep: `INSERT INTO ${TABLES.steps} (${STEP_COLUMNS.join(', ')}) VALUES (${STEP_COLUMNS.map(() => '?').join(', ')})`,
  insertCheckpoint: `INSERT INTO ${TABLES.checkpoints} (run_id, step_name, iteration, executed_steps, created_at) VALUES (?, ?, ?, ?, ?)`,
  /** Values: progress…, run id, epoch, now. */
  progressFenced: `${PROGRESS} WHERE run_id = ? AND lease_epoch = ? AND cancel_requested = 0 AND ${LIVE}`,
  progressFencedAnyway: `${PROGRESS} WHERE run_id = ? AND lease_epoch = ? AND ${LIVE}`,
  /** Values: progress…, item run id, top-level run id, epoch, now (SQLite). */
  progressItemFenced:
    `${PROGRESS} WHERE run_id = ? AND EXISTS (SELECT 1 FROM ${TABLES.runs} f WHERE f.run_id = ? AND f.lease_epoch = ? AND f.cancel_requested = 0 AND ${LIVE.replace(/(claim_queue|lease_expires_at)/g, 'f.$1')})`,
  progressItemFencedAnyway: `${PROGRESS} WHERE run_id = ? AND EXISTS (SELECT 1 FROM ${TABLES.runs} f WHERE f.run_id = ? AND f.lease_epoch = ? AND ${LIVE.replace(/(claim_queue|lease_expires_at)/g, 'f.$1')})`,
  /** Values: progress…, run id (no fence: an unleased writer). */
  progress: `${PROGRESS} WHERE run_id = ?`,
  /** Who holds a run: what a writer learns when its fenced write matched nothing. */
  fenceRow: `SELECT lease_epoch, lease_owner, status, cancel_requested, claim_queue, lease_expires_at FROM ${TABLES.runs} WHERE run_id = ?`,
} as const;
