import type { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes, familyOf } from '../schema/column-types';

const COLUMNS = ['lease_epoch', 'root_run_id', 'lost_executions', 'lost_step'] as const;

/**
 * Fencing epochs: every claim of a run takes a new `lease_epoch`; a map item's run names its
 * top-level run (`root_run_id`), whose epoch fences it; `lost_executions` / `lost_step` count a
 * step whose execution keeps being lost (poison steps). Plain `ALTER TABLE … ADD COLUMN` on both
 * drivers: SQLite adds a column in place (TypeORM's `addColumn` would rebuild the table).
 * Frozen: later changes get migrations of their own.
 */
export class FencingEpochs1767312000000 implements MigrationInterface {
  name = 'FencingEpochs1767312000000';

  async up(runner: QueryRunner): Promise<void> {
    const t = columnTypes(familyOf(runner.connection.options.type));
    const table = runner.connection.driver.escape('core_workflow_runs');
    const definitions: Record<(typeof COLUMNS)[number], string> = {
      lease_epoch: `${String(t.int)} NOT NULL DEFAULT 0`,
      root_run_id: 'varchar(255) NULL',
      lost_executions: `${String(t.int)} NOT NULL DEFAULT 0`,
      lost_step: 'varchar(300) NULL',
    };
    for (const column of COLUMNS) {
      await runner.query(`ALTER TABLE ${table} ADD COLUMN ${runner.connection.driver.escape(column)} ${definitions[column]}`);
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const column of [...COLUMNS].reverse()) await runner.dropColumn('core_workflow_runs', column);
  }
}
