import type { EntitySchemaColumnOptions } from 'typeorm';
import { columnTypes, type DriverFamily } from './column-types';

/** What a design column is computed from, as the design documents type it. */
type DesignColumnType = 'int' | 'id' | 'json' | 'time';

/** A column the design documents name, computed from this schema's own column. */
export interface DesignColumn {
  readonly table: 'core_workflow_runs' | 'core_workflow_run_steps';
  readonly name: string;
  readonly type: DesignColumnType;
  /** The SQL it is computed from (identical in the migration and the entities: TypeORM compares them). */
  readonly expression: (family: DriverFamily) => string;
}

const column = (table: DesignColumn['table'], name: string, type: DesignColumnType, from: string): DesignColumn => ({ table, name, type, expression: () => from });

/**
 * The design's column names (documents 06 and 07, and its schema), as virtual generated columns on
 * SQLite and MySQL/MariaDB: computed when read, so a run or step write costs nothing more, and the
 * design's own SQL (`quality_record_count`, `json_extract(partition, '$.tier')`,
 * `workflow_run_id IN (SELECT id FROM core_workflow_runs …)`) runs unchanged. PostgreSQL (15 has
 * no virtual columns; a stored one is paid on every insert) has the views instead.
 * Frozen with `DesignColumns1768176000000`: a change here needs a migration of its own.
 */
export const DESIGN_COLUMNS: readonly DesignColumn[] = [
  column('core_workflow_runs', 'id', 'id', 'run_id'),
  column('core_workflow_runs', 'partition', 'json', 'run_partition'),
  column('core_workflow_runs', 'completed_at', 'time', 'finished_at'),
  column('core_workflow_run_steps', 'workflow_run_id', 'id', 'run_id'),
  column('core_workflow_run_steps', 'quality_record_count', 'int', 'record_count'),
  column('core_workflow_run_steps', 'quality_valid_count', 'int', 'valid_count'),
  column('core_workflow_run_steps', 'quality_null_count', 'int', 'null_count'),
  column('core_workflow_run_steps', 'quality_details', 'json', 'quality'),
  {
    table: 'core_workflow_run_steps',
    name: 'quality_custom',
    type: 'json',
    expression: (family) => (family === 'sqlite' ? "json_extract(quality, '$.customMetrics')" : "JSON_EXTRACT(`quality`, '$.customMetrics')"),
  },
  column('core_workflow_run_steps', 'completed_at', 'time', 'finished_at'),
  // document 06's quality trend groups steps by it
  column('core_workflow_run_steps', 'created_at', 'time', 'started_at'),
];

/** Whether a family has the design columns (SQLite and MySQL/MariaDB). */
export const hasDesignColumns = (family: DriverFamily): boolean => family !== 'postgres';

/** The SQL type of a design column, as TypeORM declares it (name, length, precision). */
export function designColumnType(family: DriverFamily, type: DesignColumnType): { readonly type: string; readonly length?: string; readonly precision?: number } {
  const t = columnTypes(family);
  if (type === 'int') return { type: String(t.int) };
  if (type === 'id') return { type: 'varchar', length: '255' };
  if (type === 'json') return { type: String(t.json) };
  return { type: String(t.datetime), ...(t.datetimePrecision !== undefined && { precision: t.datetimePrecision }) };
}

/** A table's design columns as TypeORM entity columns (virtual, never written). */
export function designEntityColumns(family: DriverFamily, table: DesignColumn['table']): Record<string, EntitySchemaColumnOptions> {
  if (!hasDesignColumns(family)) return {};
  return Object.fromEntries(
    DESIGN_COLUMNS.filter((c) => c.table === table).map((c) => [
      c.name,
      { ...entityType(designColumnType(family, c.type)), nullable: true, generatedType: 'VIRTUAL', asExpression: c.expression(family), insert: false, update: false, select: false },
    ]),
  );
}

const entityType = (sql: ReturnType<typeof designColumnType>): EntitySchemaColumnOptions => ({
  type: sql.type as EntitySchemaColumnOptions['type'],
  ...(sql.length !== undefined && { length: Number(sql.length) }),
  ...(sql.precision !== undefined && { precision: sql.precision }),
});
