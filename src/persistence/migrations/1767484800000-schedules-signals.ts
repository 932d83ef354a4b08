import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';
import { columnTypes, familyOf } from '../schema/column-types';

const RUN_COLUMNS = ['trigger_source', 'trigger_schedule', 'trigger_fire_time'] as const;

/**
 * Schedules and signals: what started a run (`trigger_source`, and for a schedule's fire the
 * schedule and fire time); `core_schedules` (a schedule's paused state and cursor: the newest fire
 * time handled), `core_schedule_fires` (one row per fire, keyed by schedule and fire time: a fire
 * time is fired once across every process) and `core_workflow_signals` (signals sent to runs,
 * each consumed by one step execution). Frozen.
 */
export class SchedulesSignals1767484800000 implements MigrationInterface {
  name = 'SchedulesSignals1767484800000';

  async up(runner: QueryRunner): Promise<void> {
    const t = columnTypes(familyOf(runner.connection.options.type));
    const escape = (name: string): string => runner.connection.driver.escape(name);
    const precision = t.datetimePrecision === undefined ? '' : `(${t.datetimePrecision})`;
    const definitions: Record<(typeof RUN_COLUMNS)[number], string> = {
      trigger_source: "varchar(16) NOT NULL DEFAULT 'api'",
      trigger_schedule: 'varchar(255) NULL',
      trigger_fire_time: `${String(t.datetime)}${precision} NULL`,
    };
    for (const column of RUN_COLUMNS) await runner.query(`ALTER TABLE ${escape('core_workflow_runs')} ADD COLUMN ${escape(column)} ${definitions[column]}`);

    const str = (name: string, length: number, isNullable = false, isPrimary = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable, isPrimary });
    const time = (name: string, isNullable = false, isPrimary = false): TableColumnOptions => ({
      name,
      type: t.datetime as string,
      isNullable,
      isPrimary,
      ...(t.datetimePrecision !== undefined && { precision: t.datetimePrecision }),
    });
    await runner.createTable(
      new Table({
        name: 'core_schedules',
        columns: [
          str('name', 255, false, true),
          str('workflow', 255),
          { name: 'paused', type: t.boolean as string, isNullable: false, default: t.falseSql },
          time('fire_cursor', true),
          time('updated_at'),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'core_schedule_fires',
        columns: [
          str('schedule_name', 255, false, true),
          time('fire_time', false, true),
          str('run_id', 255, true),
          str('source', 16),
          { name: 'error', type: t.text as string, isNullable: true },
          time('fired_at'),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'core_workflow_signals',
        columns: [
          { name: 'id', type: t.id as string, isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          str('run_id', 255),
          str('name', 255),
          { name: 'payload', type: t.json as string, isNullable: true },
          time('sent_at'),
          str('consumed_by', 1024, true),
          time('consumed_at', true),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_core_workflow_signals_run',
            columnNames: ['run_id'],
            referencedTableName: 'core_workflow_runs',
            referencedColumnNames: ['run_id'],
            onDelete: 'CASCADE',
            onUpdate: 'NO ACTION',
          }),
        ],
        indices: [new TableIndex({ name: 'ix_core_workflow_signals_run', columnNames: ['run_id', 'name', 'id'] })],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('core_workflow_signals');
    await runner.dropTable('core_schedule_fires');
    await runner.dropTable('core_schedules');
    for (const column of [...RUN_COLUMNS].reverse()) await runner.dropColumn('core_workflow_runs', column);
  }
}
