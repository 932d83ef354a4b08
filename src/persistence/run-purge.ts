import type { PurgeCriteria } from '../core/store/records/run-record';
import { toSqlDatetime } from './json-codec';
import { TABLES } from './schema/entities';
import type { SqlClient } from './sql-client';

/** Top-level runs deleted per statement: small enough that no statement holds the database (or the event loop) long. */
const BATCH = 200;

/**
 * Deletes finished top-level runs per the criteria, in batches, each with its map items' runs
 * (their ids start with "<run id>:" and they name it as root_run_id: a primary-key range, no
 * extra index), their steps, checkpoints and events (cascade). Map items are never purged on
 * their own, so a kept run — a failed one under `keepFailed`, a stopped or running one — keeps
 * the items a resume needs. The event loop gets its turn between batches.
 */
export async function purgeRuns(sql: SqlClient, criteria: PurgeCriteria): Promise<number> {
  const statuses = criteria.keepFailed === true ? ['completed', 'partial', 'cancelled'] : ['completed', 'partial', 'cancelled', 'failed'];
  const marks = statuses.map(() => '?').join(', ');
  let purged = 0;
  for (;;) {
    const rows = await sql.all(`SELECT run_id FROM ${TABLES.runs} WHERE status IN (${marks}) AND finished_at < ? AND parent_run_id IS NULL LIMIT ${BATCH}`, [
      ...statuses,
      toSqlDatetime(criteria.before),
    ]);
    if (rows.length === 0) return purged;
    const ids = rows.map((row) => String(row.run_id));
    for (const id of ids) {
      // root_run_id IS NULL: items recorded before root_run_id existed
      await sql.run(`DELETE FROM ${TABLES.runs} WHERE run_id > ? AND run_id < ? AND parent_run_id IS NOT NULL AND (root_run_id = ? OR root_run_id IS NULL)`, [`${id}:`, `${id};`, id]);
    }
    purged += await sql.run(`DELETE FROM ${TABLES.runs} WHERE run_id IN (${ids.map(() => '?').join(', ')})`, ids);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
