import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';
import { columnTypes, familyOf, hasPartialIndexes } from '../schema/column-types';

/** Legacy item runs converted per statement. */
const CHUNK = 500;

/** SQLite and PostgreSQL: indexes on columns most runs leave NULL, made partial (a NULL costs no index write). */
const PARTIAL_SQLITE: readonly [name: string, columns: string[], where: string][] = [
  ['ix_core_workflow_runs_batch', ['batch_id'], 'batch_id IS NOT NULL'],
  ['ix_core_workflow_runs_partition', ['partition_key'], 'partition_key IS NOT NULL'],
  ['ix_core_workflow_runs_as_of', ['as_of_date'], 'as_of_date IS NOT NULL'],
  ['ix_core_workflow_runs_claim', ['claim_queue', 'priority', 'lease_expires_at'], 'claim_queue IS NOT NULL'],
  ['ix_core_workflow_runs_leased', ['claim_queue', 'lease_owner'], 'claim_queue IS NOT NULL'],
  ['ix_core_workflow_runs_key', ['concurrency_key', 'lease_expires_at'], 'concurrency_key IS NOT NULL'],
  ['ix_core_workflow_runs_parent', ['parent_run_id', 'status'], 'parent_run_id IS NOT NULL'],
];

/**
 * The durable hot path: a completed step row is the run's checkpoint, so the per-step rows of
 * `core_workflow_checkpoints` (which only repeated step and iteration) are dropped and the table
 * keeps context snapshots (`context`) taken by the checkpoint strategy. `core_workflow_map_items`
 * holds one row per item of a map step run in place (not a run of its own).
 *
 * Existing databases keep their runs and can resume them: the completed items of maps whose
 * iterator is one step — recorded as child runs until now — become item rows (their output is
 * their step's), so a resumed map does not run them again. Items whose run id cannot be read back
 * (a hashed id, for very long run ids) and unfinished items run again.
 *
 * The runs table's indexes get cheaper to write: none on `status` alone (the lease index starts
 * with it); on SQLite, partial indexes for columns most runs leave NULL; and an index for
 * top-level runs newest first (what `listRuns` and the CLI's `runs` read). Frozen.
 */
export class DurableHotPath1767571200000 implements MigrationInterface {
  name = 'DurableHotPath1767571200000';

  async up(runner: QueryRunner): Promise<void> {
    const t = columnTypes(familyOf(runner.connection.options.type));
    const escape = (name: string): string => runner.connection.driver.escape(name);
    await runner.query(`ALTER TABLE ${escape('core_workflow_checkpoints')} ADD COLUMN ${escape('context')} ${String(t.json)} NULL`);
    await runner.query(`DELETE FROM ${escape('core_workflow_checkpoints')}`);

    const precision = t.datetimePrecision === undefined ? {} : { precision: t.datetimePrecision };
    const str = (name: string, length: number, isNullable = false, isPrimary = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable, isPrimary });
    const int = (name: string, isPrimary = false): TableColumnOptions => ({ name, type: t.int as string, isNullable: false, isPrimary });
    await runner.createTable(
      new Table({
        name: 'core_workflow_map_items',
        columns: [
          str('run_id', 255, false, true),
          str('step_name', 255, false, true),
          int('iteration', true),
          int('item_index', true),
          str('status', 16),
          int('attempts'),
          { name: 'output', type: t.json as string, isNullable: true },
          { name: 'error', type: t.text as string, isNullable: true },
          str('error_step', 255, true),
          str('error_category', 32, true),
          int('epoch'),
          { name: 'started_at', type: t.datetime as string, isNullable: false, ...precision },
          { name: 'finished_at', type: t.datetime as string, isNullable: false, ...precision },
          { name: 'duration_ms', type: t.double as string, isNullable: false },
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_core_workflow_map_items_run',
            columnNames: ['run_id'],
            referencedTableName: 'core_workflow_runs',
            referencedColumnNames: ['run_id'],
            onDelete: 'CASCADE',
            onUpdate: 'NO ACTION',
          }),
        ],
      }),
    );
    // the runs table's indexes as `runIndexes` has them now (frozen here: later changes get a migration of their own)
    const family = familyOf(runner.connection.options.type);
    await runner.dropIndex('core_workflow_runs', 'ix_core_workflow_runs_status');
    if (hasPartialIndexes(family)) {
      for (const [name, columnNames, where] of PARTIAL_SQLITE) {
        await runner.dropIndex('core_workflow_runs', name);
        await runner.createIndex('core_workflow_runs', new TableIndex({ name, columnNames, where }));
      }
      await runner.createIndex('core_workflow_runs', new TableIndex({ name: 'ix_core_workflow_runs_top', columnNames: ['started_at', 'run_id'], where: 'parent_run_id IS NULL' }));
      await runner.createIndex('core_workflow_runs', new TableIndex({ name: 'ix_core_workflow_runs_status_started', columnNames: ['status', 'started_at'], where: 'parent_run_id IS NULL' }));
    } else {
      await runner.createIndex('core_workflow_runs', new TableIndex({ name: 'ix_core_workflow_runs_top', columnNames: ['parent_run_id', 'started_at'] }));
      await runner.createIndex('core_workflow_runs', new TableIndex({ name: 'ix_core_workflow_runs_status_started', columnNames: ['status', 'started_at'] }));
    }
    if (family === 'sqlite') await rebuildSteps(runner, true);
    // PostgreSQL came later: no database of it ever held legacy item runs
    if (family !== 'postgres') await convertLegacyItems(runner, family === 'mysql' ? 'INSERT IGNORE' : 'INSERT OR IGNORE');
  }

  /**
   * Back to the previous schema: the indexes as they were, SQLite's step table with its rowid and
   * its index by run (ids kept), no item rows (their maps run again, item by item), no snapshots.
   * Per-step checkpoint rows are not made again: they only repeated the step rows.
   */
  async down(runner: QueryRunner): Promise<void> {
    const family = familyOf(runner.connection.options.type);
    await runner.dropTable('core_workflow_map_items');
    await runner.dropColumn('core_workflow_checkpoints', 'context');
    await runner.dropIndex('core_workflow_runs', 'ix_core_workflow_runs_top');
    await runner.dropIndex('core_workflow_runs', 'ix_core_workflow_runs_status_started');
    await runner.createIndex('core_workflow_runs', new TableIndex({ name: 'ix_core_workflow_runs_status', columnNames: ['status'] }));
    if (!hasPartialIndexes(family)) return;
    for (const [name, columnNames] of PARTIAL_SQLITE) {
      await runner.dropIndex('core_workflow_runs', name);
      await runner.createIndex('core_workflow_runs', new TableIndex({ name, columnNames }));
    }
    if (family === 'sqlite') await rebuildSteps(runner, false);
  }
}

/**
 * SQLite: the step table rebuilt WITHOUT ROWID with primary key (run id, id), so a step commit
 * writes one B-tree instead of the table and its index by run (`clustered`); or back to a rowid
 * table with an auto-increment id and that index. Clustering keeps the ids (they were increasing,
 * so they stay in order within each run); going back draws new ones in each run's order.
 */
async function rebuildSteps(runner: QueryRunner, clustered: boolean): Promise<void> {
  const old = await runner.getTable('core_workflow_run_steps');
  if (old === undefined) throw new Error('core_workflow_run_steps is missing: the schema is not the one this migration upgrades');
  await runner.query('ALTER TABLE "core_workflow_run_steps" RENAME TO "core_workflow_run_steps_before_rebuild"');
  await runner.query('DROP INDEX IF EXISTS "ix_core_workflow_run_steps_run"');
  // clustered: the primary key's columns in this order, run first; else the id alone, generated
  const columns = [...old.columns]
    .sort((a, b) => (clustered ? Number(b.name === 'run_id') - Number(a.name === 'run_id') : Number(b.name === 'id') - Number(a.name === 'id')))
    .map((column) => {
      const copy = column.clone();
      if (copy.name === 'id')
        Object.assign(copy, clustered ? { isGenerated: false, generationStrategy: undefined, isPrimary: true } : { isGenerated: true, generationStrategy: 'increment', isPrimary: true });
      if (copy.name === 'run_id') copy.isPrimary = clustered;
      return copy;
    });
  await runner.createTable(
    new Table({
      name: 'core_workflow_run_steps',
      columns,
      withoutRowid: clustered,
      ...(!clustered && { indices: [new TableIndex({ name: 'ix_core_workflow_run_steps_run', columnNames: ['run_id', 'id'] })] }),
      foreignKeys: [
        new TableForeignKey({
          name: 'fk_core_workflow_run_steps_run',
          columnNames: ['run_id'],
          referencedTableName: 'core_workflow_runs',
          referencedColumnNames: ['run_id'],
          onDelete: 'CASCADE',
          onUpdate: 'NO ACTION',
        }),
      ],
    }),
  );
  // to the clustered table ids are kept; back, ids per run are not unique across runs: new ones
  // are drawn, in each run's order
  const names = columns
    .filter((c) => clustered || c.name !== 'id')
    .map((c) => `"${c.name}"`)
    .join(', ');
  await runner.query(`INSERT INTO "core_workflow_run_steps" (${names}) SELECT ${names} FROM "core_workflow_run_steps_before_rebuild" ORDER BY "run_id", "id"`);
  await runner.query('DROP TABLE "core_workflow_run_steps_before_rebuild"');
}

/**
 * Completed one-step item runs of maps run in place (`parent_run_id` set, never queued) become
 * item rows. Their run id is `<parent run id>:<step>:<iteration>:<index>`: read from the right, so
 * a step name with ':' in it is kept whole.
 */
async function convertLegacyItems(runner: QueryRunner, insertIgnore: string): Promise<void> {
  let after = '';
  for (;;) {
    const rows = (await runner.query(
      'SELECT r.run_id, r.parent_run_id, s.attempt, s.output, s.started_at, s.finished_at, s.duration_ms FROM core_workflow_runs r ' +
        "JOIN core_workflow_run_steps s ON s.run_id = r.run_id AND s.status = 'completed' " +
        "WHERE r.parent_run_id IS NOT NULL AND r.queue IS NULL AND r.total_steps = 1 AND r.status = 'completed' AND r.run_id > ? " +
        `ORDER BY r.run_id LIMIT ${CHUNK}`,
      [after],
    )) as Record<string, unknown>[];
    if (rows.length === 0) return;
    after = String(rows[rows.length - 1]!.run_id);
    const values: unknown[] = [];
    let count = 0;
    for (const row of rows) {
      const item = parseItemRunId(String(row.run_id), String(row.parent_run_id));
      if (item === null) continue;
      values.push(row.parent_run_id, item.step, item.iteration, item.index, 'completed', row.attempt, row.output, row.started_at, row.finished_at, row.duration_ms);
      count++;
    }
    if (count === 0) continue;
    const marks = Array.from({ length: count }, () => '(?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, 0, ?, ?, ?)').join(', ');
    const insert =
      `${insertIgnore} INTO core_workflow_map_items (run_id, step_name, iteration, item_index, status, attempts, output, error, error_step, error_category, epoch, ` +
      `started_at, finished_at, duration_ms) VALUES ${marks}`;
    await runner.query(insert, values);
  }
}

/** The step, iteration and index a legacy item run id names, or null when it is not of that form. */
export function parseItemRunId(runId: string, parentRunId: string): { step: string; iteration: number; index: number } | null {
  if (!runId.startsWith(`${parentRunId}:`)) return null;
  const rest = runId.slice(parentRunId.length + 1);
  const match = /^(.+):(\d+):(\d+)$/.exec(rest);
  if (match === null) return null;
  return { step: match[1]!, iteration: Number(match[2]), index: Number(match[3]) };
}
