import { TABLES } from './schema/entities';

const STEP_COLUMNS = [
  'run_id', 'step_name', 'step_type', 'iteration', 'attempt', 'status', 'idempotency_key', 'started_at', 'finished_at',
  'duration_ms', 'output', 'context_updates', 'error', 'error_category', 'next_step', 'record_count', 'valid_count',
  'invalid_count', 'null_count', 'quality_passed', 'quality',
] as const;

/** SQL that both drivers accept: '?' placeholders, unquoted snake_case names. */
/** The statements of a step commit. */
export const SQL = {
  insertStep: `INSERT INTO ${TABLES.steps} (${STEP_COLUMNS.join(', ')}) VALUES (${STEP_COLUMNS.map(() => '?').join(', ')})`,
  insertCheckpoint: `INSERT INTO ${TABLES.checkpoints} (run_id, step_name, iteration, executed_steps, created_at) VALUES (?, ?, ?, ?, ?)`,
  // status stays 'running' while steps commit (set by create / reopen / finish): leaving it out of
  // the SET list spares the two indexes on it a rewrite per step.
  // Fenced: only the lease holder's write matches (lease_owner = ?); a NULL owner means an unleased run.
  updateProgress:
    `UPDATE ${TABLES.runs} SET executed_steps = ?, completed_steps = ?, failed_steps = ?, skipped_steps = ?, ` +
    'last_completed_step = ?, updated_at = ? WHERE run_id = ? AND (lease_owner = ? OR (lease_owner IS NULL AND ? IS NULL))',
} as const;

