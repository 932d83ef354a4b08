import { Table, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';
import { columnTypes, familyOf } from '../schema/column-types';

const RUN_COLUMNS = ['queue', 'claim_queue', 'priority', 'concurrency_key'] as const;

const RUN_INDEXES: readonly [name: string, columns: string[]][] = [
  // the claim query: a queue's claimable runs in priority order, oldest claimable time first
  ['ix_core_workflow_runs_claim', ['claim_queue', 'priority', 'lease_expires_at']],
  // live leases of a queue (its concurrency limit) without reading its backlog
  ['ix_core_workflow_runs_leased', ['claim_queue', 'lease_owner']],
  // live leases per concurrency key
  ['ix_core_workflow_runs_key', ['concurrency_key', 'lease_expires_at']],
  // a distributed map's items, by parent
  ['ix_core_workflow_runs_parent', ['parent_run_id', 'status']],
];

/**
 * The run queue: a run's `queue` (kept), `claim_queue` (the same while a worker may still have to
 * execute it, NULL once it finished: the claim index holds no finished runs), `priority` and
 * `concurrency_key`; `core_queues` (a rate-limited queue's recent start times, and the row its
 * claims lock) and `core_workers` (one row per worker process, renewed by its heartbeat).
 * Columns by plain `ALTER TABLE … ADD COLUMN` (SQLite adds them in place). Frozen.
 */
export class RunQueue1767398400000 implements MigrationInterface {
  name = 'RunQueue1767398400000';

  async up(runner: QueryRunner): Promise<void> {
    const t = columnTypes(familyOf(runner.connection.options.type));
    const escape = (name: string): string => runner.connection.driver.escape(name);
    const definitions: Record<(typeof RUN_COLUMNS)[number], string> = {
      queue: 'varchar(255) NULL',
      claim_queue: 'varchar(255) NULL',
      priority: `${String(t.int)} NOT NULL DEFAULT 0`,
      concurrency_key: 'varchar(255) NULL',
    };
    for (const column of RUN_COLUMNS) await runner.query(`ALTER TABLE ${escape('core_workflow_runs')} ADD COLUMN ${escape(column)} ${definitions[column]}`);
    for (const [name, columnNames] of RUN_INDEXES) await runner.createIndex('core_workflow_runs', new TableIndex({ name, columnNames }));

    const time = (name: string): TableColumnOptions => ({
      name,
      type: t.datetime as string,
      isNullable: false,
      ...(t.datetimePrecision !== undefined && { precision: t.datetimePrecision }),
    });
    await runner.createTable(
      new Table({
        name: 'core_queues',
        columns: [{ name: 'name', type: 'varchar', length: '255', isPrimary: true }, { name: 'recent_starts', type: t.json as string, isNullable: false }, time('updated_at')],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'core_workers',
        columns: [
          { name: 'worker_id', type: 'varchar', length: '255', isPrimary: true },
          { name: 'hostname', type: 'varchar', length: '255', isNullable: false },
          { name: 'pid', type: t.int as string, isNullable: false },
          { name: 'queues', type: t.json as string, isNullable: false },
          { name: 'concurrency', type: t.int as string, isNullable: false },
          { name: 'running', type: t.int as string, isNullable: false },
          time('started_at'),
          time('heartbeat_at'),
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('core_workers');
    await runner.dropTable('core_queues');
    for (const [name] of [...RUN_INDEXES].reverse()) await runner.dropIndex('core_workflow_runs', name);
    for (const column of [...RUN_COLUMNS].reverse()) await runner.dropColumn('core_workflow_runs', column);
  }
}
