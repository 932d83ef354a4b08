import { Table, TableForeignKey, TableIndex, TableUnique, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';
import { columnTypes, familyOf } from '../schema/column-types';

/**
 * The first schema of spine-orchestration, written by hand with TypeORM's Table API so one
 * migration runs on SQLite and on MySQL/MariaDB. Frozen: later changes get migrations of their own.
 */
export class InitialSchema1767225600000 implements MigrationInterface {
  name = 'InitialSchema1767225600000';

  async up(runner: QueryRunner): Promise<void> {
    const t = columnTypes(familyOf(runner.connection.options.type));
    const str = (name: string, length: number, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable });
    const int = (name: string, isNullable = false): TableColumnOptions => ({ name, type: t.int as string, isNullable });
    const time = (name: string, isNullable = false): TableColumnOptions => ({
      name,
      type: t.datetime as string,
      isNullable,
      ...(t.datetimePrecision !== undefined && { precision: t.datetimePrecision }),
    });
    const json = (name: string, isNullable = false): TableColumnOptions => ({ name, type: t.json as string, isNullable });
    const text = (name: string): TableColumnOptions => ({ name, type: t.text as string, isNullable: true });
    const double = (name: string, isNullable = true): TableColumnOptions => ({ name, type: t.double as string, isNullable });
    const bool = (name: string, isNullable = false): TableColumnOptions => ({ name, type: t.boolean as string, isNullable });
    const id: TableColumnOptions = { name: 'id', type: t.id as string, isPrimary: true, isGenerated: true, generationStrategy: 'increment' };
    const runFk = (table: string, target = 'core_workflow_runs'): TableForeignKey =>
      new TableForeignKey({ name: `fk_${table}_run`, columnNames: ['run_id'], referencedTableName: target, referencedColumnNames: ['run_id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION' });
    const index = (name: string, columnNames: string[]): TableIndex => new TableIndex({ name, columnNames });

    await runner.createTable(
      new Table({
        name: 'core_workflows',
        columns: [id, str('name', 255), str('domain', 255, true), int('version'), json('spec'), str('spec_hash', 64), time('created_at')],
        uniques: [new TableUnique({ name: 'uq_core_workflows_name_hash', columnNames: ['name', 'spec_hash'] })],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'core_workflow_runs',
        columns: [
          { ...str('run_id', 255), isPrimary: true },
          str('workflow_name', 255),
          int('workflow_version'),
          str('workflow_hash', 64),
          str('domain', 255, true),
          str('status', 16),
          json('params'),
          json('run_partition', true),
          str('partition_key', 512, true),
          str('batch_id', 255, true),
          str('trace_id', 255),
          str('as_of_date', 32, true),
          str('capture_id', 255, true),
          str('idempotency_key', 255, true),
          str('parent_run_id', 255, true),
          int('total_steps'),
          int('executed_steps'),
          int('completed_steps'),
          int('failed_steps'),
          int('skipped_steps'),
          str('last_completed_step', 255, true),
          str('error_step', 255, true),
          text('error'),
          str('error_category', 32, true),
          time('started_at'),
          time('finished_at', true),
          double('duration_ms'),
          time('updated_at'),
          str('lease_owner', 255, true),
          time('lease_expires_at', true),
          { ...bool('cancel_requested'), default: t.falseSql },
        ],
        uniques: [new TableUnique({ name: 'uq_core_workflow_runs_idempotency', columnNames: ['idempotency_key'] })],
        indices: [
          index('ix_core_workflow_runs_status', ['status']),
          index('ix_core_workflow_runs_workflow', ['workflow_name', 'started_at']),
          index('ix_core_workflow_runs_batch', ['batch_id']),
          index('ix_core_workflow_runs_trace', ['trace_id']),
          index('ix_core_workflow_runs_partition', ['partition_key']),
          index('ix_core_workflow_runs_as_of', ['as_of_date']),
          index('ix_core_workflow_runs_lease', ['status', 'lease_expires_at']),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'core_workflow_run_steps',
        columns: [
          id,
          str('run_id', 255),
          str('step_name', 255),
          str('step_type', 16),
          int('iteration'),
          int('attempt'),
          str('status', 16),
          str('idempotency_key', 1024),
          time('started_at'),
          time('finished_at'),
          double('duration_ms', false),
          json('output', true),
          json('context_updates', true),
          text('error'),
          str('error_category', 32, true),
          str('next_step', 255, true),
          int('record_count', true),
          int('valid_count', true),
          int('invalid_count', true),
          int('null_count', true),
          bool('quality_passed', true),
          json('quality', true),
        ],
        foreignKeys: [runFk('core_workflow_run_steps')],
        indices: [index('ix_core_workflow_run_steps_run', ['run_id', 'id'])],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'core_workflow_checkpoints',
        columns: [id, str('run_id', 255), str('step_name', 255), int('iteration'), int('executed_steps'), time('created_at')],
        foreignKeys: [runFk('core_workflow_checkpoints')],
        indices: [index('ix_core_workflow_checkpoints_run', ['run_id', 'id'])],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'core_workflow_events',
        columns: [id, str('run_id', 255), str('type', 32), str('step', 255, true), int('attempt', true), json('payload'), time('created_at')],
        foreignKeys: [runFk('core_workflow_events')],
        indices: [index('ix_core_workflow_events_run', ['run_id', 'id'])],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'core_group_runs',
        columns: [
          { ...str('run_id', 255), isPrimary: true },
          str('group_name', 255),
          str('status', 16),
          json('params'),
          time('started_at'),
          time('finished_at', true),
          double('duration_ms'),
          text('error'),
        ],
        indices: [index('ix_core_group_runs_group', ['group_name', 'started_at'])],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'core_group_run_steps',
        columns: [
          id,
          str('run_id', 255),
          str('step_name', 255),
          str('pipeline', 255),
          str('status', 16),
          json('output', true),
          text('error'),
          str('error_category', 32, true),
          time('started_at'),
          double('duration_ms'),
        ],
        foreignKeys: [runFk('core_group_run_steps', 'core_group_runs')],
        indices: [index('ix_core_group_run_steps_run', ['run_id', 'id'])],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['core_group_run_steps', 'core_group_runs', 'core_workflow_events', 'core_workflow_checkpoints', 'core_workflow_run_steps', 'core_workflow_runs', 'core_workflows']) {
      await runner.dropTable(table, true);
    }
  }
}
