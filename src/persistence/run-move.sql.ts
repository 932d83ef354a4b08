import { FINAL_STATUSES, type RunRecord } from '../core/store/records/run-record';
import type { RunMove } from '../core/store/records/store-writes';
import { toSqlDatetime } from './json-codec';
import type { SqlPlan } from './queue.sql';
import { runFromRow, type RunRow } from './row-mapping';
import { TABLES, RUN_COLUMNS } from './schema/entities';

/**
 * Moves a run to another definition of its workflow in one transaction (see `RunJournal.moveRun`):
 * the run row first, only while it is unfinished, still on `fromHash` and held by the mover's claim
 * (or by no live lease, its epoch then raised to fence off a stale execution); then its step rows
 * and map items renamed. Returns the run as it now is, or null when the row did not match.
 */
export function* moveRunPlan(runId: string, move: RunMove, now: Date): SqlPlan<RunRecord | null> {
  const at = toSqlDatetime(now);
  const finished = FINAL_STATUSES.map(() => '?').join(', ');
  const held = move.fence === null ? '(lease_owner IS NULL OR lease_expires_at <= ?)' : 'lease_owner = ? AND lease_epoch = ?';
  const heldValues = move.fence === null ? [at] : [move.fence.owner, move.fence.epoch];
  const changed = (yield {
    kind: 'run',
    sql:
      `UPDATE ${TABLES.runs} SET workflow_version = ?, workflow_hash = ?, total_steps = ?, lease_epoch = lease_epoch + ?, updated_at = ? ` +
      `WHERE run_id = ? AND workflow_hash = ? AND status NOT IN (${finished}) AND ${held}`,
    values: [move.to.version, move.to.hash, move.to.totalSteps, move.fence === null ? 1 : 0, at, runId, move.fromHash, ...FINAL_STATUSES, ...heldValues],
  }) as number;
  if (changed === 0) return null;
  for (const [from, to] of Object.entries(move.renames)) {
    if (from === to) continue;
    yield { kind: 'run', sql: `UPDATE ${TABLES.steps} SET step_name = ? WHERE run_id = ? AND step_name = ?`, values: [to, runId, from] };
    yield { kind: 'run', sql: `UPDATE ${TABLES.mapItems} SET step_name = ? WHERE run_id = ? AND step_name = ?`, values: [to, runId, from] };
  }
  const rows = (yield { kind: 'all', sql: `SELECT ${RUN_COLUMNS} FROM ${TABLES.runs} WHERE run_id = ?`, values: [runId] }) as RunRow[];
  return rows.length === 0 ? null : runFromRow(rows[0]!);
}
