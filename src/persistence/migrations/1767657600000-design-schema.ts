import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';
import { columnTypes, familyOf, type DriverFamily } from '../schema/column-types';

/** The v1 group tables: never written by the product (v1 groups run as workflows), dropped when empty. */
const V1_TABLES = ['core_group_run_steps', 'core_group_runs'] as const;

/** The design's dashboard views (design 07), over this schema's tables and column names. */
export const DESIGN_VIEWS = ['v_workflow_run_summary', 'v_workflow_step_quality'] as const;

/** Definition columns the design names, with their SQL per family. */
function definitionColumns(family: DriverFamily): [name: string, sql: string][] {
  const t = columnTypes(family);
  const precision = t.datetimePrecision === undefined ? '' : `(${t.datetimePrecision})`;
  return [
    ['description', `${String(t.text)} NULL`],
    ['tags', `${String(t.json)} NULL`],
    ['is_active', `${String(t.boolean)} NOT NULL DEFAULT ${t.trueSql}`],
    ['updated_at', `${String(t.datetime)}${precision} NULL`],
    ['created_by', 'varchar(255) NULL'],
    ['kind', "varchar(16) NOT NULL DEFAULT 'code'"],
  ];
}

/**
 * The views' SQL per family: the design's column names over this schema (`id` is the run id,
 * `completed_at` its finish, partition fields read from the partition's JSON). Both work on
 * SQLite and MySQL/MariaDB and keep the design's dashboard queries running unchanged.
 */
export function designViewSql(family: DriverFamily, options: { readonly numbers?: boolean } = {}): Record<(typeof DESIGN_VIEWS)[number], string> {
  const postgres = family === 'postgres';
  // numbers: MySQL/MariaDB return SUM and a decimal division as DECIMAL, which drivers hand back as strings: cast (a later
  // migration); PostgreSQL's COUNT and SUM are bigint, also handed back as strings: cast from the first
  const count = (sql: string): string => (postgres ? `CAST(${sql} AS integer)` : options.numbers === true && family === 'mysql' ? `CAST(${sql} AS SIGNED)` : sql);
  const rate = postgres ? 'CAST(1 AS double precision)' : options.numbers === true && family === 'mysql' ? '1e0' : '1.0';
  const field = (json: string, key: string): string =>
    family === 'sqlite' ? `json_extract(${json}, '$.${key}')` : postgres ? `(${json} ->> '${key}')` : `JSON_UNQUOTE(JSON_EXTRACT(${json}, '$.${key}'))`;
  // a boolean column is 0/1 on SQLite and MySQL, boolean on PostgreSQL
  const passed = (value: boolean): string => (postgres ? `${value ? '' : 'NOT '}s.quality_passed` : `s.quality_passed = ${Number(value)}`);
  return {
    v_workflow_run_summary:
      'SELECT r.run_id AS id, r.run_id AS run_id, r.workflow_name, r.workflow_version, r.domain, r.status, r.trigger_source, ' +
      'r.total_steps, r.completed_steps, r.failed_steps, r.skipped_steps, r.started_at, r.finished_at AS completed_at, ' +
      'r.duration_ms / 1000.0 AS duration_seconds, ' +
      `${field('r.run_partition', 'date')} AS partition_date, ${field('r.run_partition', 'tier')} AS partition_tier, ` +
      'r.partition_key, r.as_of_date, r.batch_id, r.trace_id, r.error, r.error_step, r.error_category, r.parent_run_id, r.queue, r.created_at ' +
      'FROM core_workflow_runs r',
    v_workflow_step_quality:
      `SELECT r.workflow_name, s.step_name, s.step_type, ${postgres ? count('COUNT(*)') : 'COUNT(*)'} AS run_count, ` +
      `${count("SUM(CASE WHEN s.status = 'completed' THEN 1 ELSE 0 END)")} AS success_count, ` +
      `${count("SUM(CASE WHEN s.status = 'failed' THEN 1 ELSE 0 END)")} AS failure_count, ` +
      'AVG(s.duration_ms) AS avg_duration_ms, AVG(s.quality_null_rate) AS avg_null_rate, ' +
      `AVG(CASE WHEN s.record_count > 0 THEN s.valid_count * ${rate} / s.record_count END) AS avg_valid_rate, ` +
      `${count('SUM(s.record_count)')} AS record_count, ` +
      `${count(`SUM(CASE WHEN ${passed(true)} THEN 1 ELSE 0 END)`)} AS quality_pass_count, ` +
      `${count(`SUM(CASE WHEN ${passed(false)} THEN 1 ELSE 0 END)`)} AS quality_fail_count, ` +
      'MAX(s.finished_at) AS last_run_at ' +
      "FROM core_workflow_run_steps s JOIN core_workflow_runs r ON r.run_id = s.run_id WHERE s.status IN ('completed', 'failed') " +
      'GROUP BY r.workflow_name, s.step_name, s.step_type',
  };
}

/**
 * What the design documents name and the schema lacked: runs' `created_at` (when the run was
 * recorded; older runs get their start time), steps' `quality_null_rate` (computed for older
 * rows from their counts), the definitions table's description, tags, active flag, update time,
 * author and kind ('code': a definition a run used, kept for its hash; 'declarative': a YAML/JSON
 * definition stored with `saveDefinition`), and the design's dashboard views
 * `v_workflow_run_summary` and `v_workflow_step_quality`.
 *
 * The v1 tables `core_group_runs` / `core_group_run_steps` are dropped when empty: v1 groups run
 * as workflows (`Workflow.fromGroup`), recorded like any run; nothing ever wrote these tables.
 * Tables with rows (written by hand) are left as they were. Frozen.
 */
export class DesignSchema1767657600000 implements MigrationInterface {
  name = 'DesignSchema1767657600000';

  async up(runner: QueryRunner): Promise<void> {
    const family = familyOf(runner.connection.options.type);
    const t = columnTypes(family);
    const escape = (name: string): string => runner.connection.driver.escape(name);
    const precision = t.datetimePrecision === undefined ? '' : `(${t.datetimePrecision})`;

    await runner.query(`ALTER TABLE ${escape('core_workflow_runs')} ADD COLUMN ${escape('created_at')} ${String(t.datetime)}${precision} NULL`);
    await runner.query(`UPDATE ${escape('core_workflow_runs')} SET ${escape('created_at')} = ${escape('started_at')}`);

    await runner.query(`ALTER TABLE ${escape('core_workflow_run_steps')} ADD COLUMN ${escape('quality_null_rate')} ${String(t.double)} NULL`);
    await runner.query(
      `UPDATE ${escape('core_workflow_run_steps')} SET quality_null_rate = CASE WHEN record_count > 0 THEN null_count * 1.0 / record_count ELSE 0 END ` + 'WHERE record_count IS NOT NULL',
    );

    for (const [column, sql] of definitionColumns(family)) await runner.query(`ALTER TABLE ${escape('core_workflows')} ADD COLUMN ${escape(column)} ${sql}`);
    await runner.query(`UPDATE ${escape('core_workflows')} SET updated_at = created_at`);
    await runner.createIndex('core_workflows', new TableIndex({ name: 'ix_core_workflows_domain', columnNames: ['domain'] }));
    await runner.createIndex('core_workflows', new TableIndex({ name: 'ix_core_workflows_kind', columnNames: ['kind', 'name', 'is_active'] }));

    for (const table of V1_TABLES) {
      const [row] = (await runner.query(`SELECT COUNT(*) AS n FROM ${escape(table)}`)) as { n: unknown }[];
      if (Number(row?.n ?? 0) === 0) await runner.dropTable(table, true);
    }

    for (const [view, sql] of Object.entries(designViewSql(family))) await runner.query(`CREATE VIEW ${escape(view)} AS ${sql}`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const family = familyOf(runner.connection.options.type);
    const t = columnTypes(family);
    const escape = (name: string): string => runner.connection.driver.escape(name);
    for (const view of DESIGN_VIEWS) await runner.query(`DROP VIEW IF EXISTS ${escape(view)}`);
    await runner.dropIndex('core_workflows', 'ix_core_workflows_kind');
    await runner.dropIndex('core_workflows', 'ix_core_workflows_domain');
    // plain DROP COLUMN (SQLite ≥ 3.35): TypeORM's SQLite dropColumn rebuilds the table, and dropping
    // the runs table inside the migration's transaction would cascade to every step row
    const drop = (table: string, column: string): Promise<unknown> => runner.query(`ALTER TABLE ${escape(table)} DROP COLUMN ${escape(column)}`);
    for (const [column] of [...definitionColumns(family)].reverse()) await drop('core_workflows', column);
    await drop('core_workflow_run_steps', 'quality_null_rate');
    await drop('core_workflow_runs', 'created_at');

    // the v1 tables as the initial schema made them
    if (!(await runner.hasTable('core_group_runs'))) {
      const str = (name: string, length: number, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable });
      const time = (name: string, isNullable = false): TableColumnOptions => ({
        name,
        type: t.datetime as string,
        isNullable,
        ...(t.datetimePrecision !== undefined && { precision: t.datetimePrecision }),
      });
      const other = (name: string, type: unknown, isNullable: boolean): TableColumnOptions => ({ name, type: type as string, isNullable });
      await runner.createTable(
        new Table({
          name: 'core_group_runs',
          columns: [
            { ...str('run_id', 255), isPrimary: true },
            str('group_name', 255),
            str('status', 16),
            other('params', t.json, false),
            time('started_at'),
            time('finished_at', true),
            other('duration_ms', t.double, true),
            other('error', t.text, true),
          ],
          indices: [new TableIndex({ name: 'ix_core_group_runs_group', columnNames: ['group_name', 'started_at'] })],
        }),
      );
      await runner.createTable(
        new Table({
          name: 'core_group_run_steps',
          columns: [
            { name: 'id', type: t.id as string, isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
            str('run_id', 255),
            str('step_name', 255),
            str('pipeline', 255),
            str('status', 16),
            other('output', t.json, true),
            other('error', t.text, true),
            str('error_category', 32, true),
            time('started_at'),
            other('duration_ms', t.double, true),
          ],
          foreignKeys: [
            new TableForeignKey({
              name: 'fk_core_group_run_steps_run',
              columnNames: ['run_id'],
              referencedTableName: 'core_group_runs',
              referencedColumnNames: ['run_id'],
              onDelete: 'CASCADE',
              onUpdate: 'NO ACTION',
            }),
          ],
          indices: [new TableIndex({ name: 'ix_core_group_run_steps_run', columnNames: ['run_id', 'id'] })],
        }),
      );
    }
  }
}
