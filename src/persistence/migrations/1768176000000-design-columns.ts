import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { familyOf } from '../schema/column-types';
import { DESIGN_COLUMNS, designColumnType, hasDesignColumns } from '../schema/design-columns';

/**
 * The design's column names on SQLite and MySQL/MariaDB, as virtual generated columns (no write
 * cost; see `DESIGN_COLUMNS`), recorded in TypeORM's metadata table as TypeORM records generated
 * columns, so a schema check or `migration:generate` of an application's DataSource sees no
 * change. PostgreSQL: nothing (no virtual columns before 18). Frozen.
 */
export class DesignColumns1768176000000 implements MigrationInterface {
  name = 'DesignColumns1768176000000';

  async up(runner: QueryRunner): Promise<void> {
    const family = familyOf(runner.connection.options.type);
    if (!hasDesignColumns(family)) return;
    await createMetadataTable(runner);
    const escape = (name: string): string => runner.connection.driver.escape(name);
    // MySQL/MariaDB: where TypeORM reads a generated column's expression back (its table's schema)
    const schema = family === 'mysql' ? String(((await runner.query('SELECT DATABASE() AS name')) as { name: string }[])[0]!.name) : undefined;
    for (const column of DESIGN_COLUMNS) {
      const type = designColumnType(family, column.type);
      const expression = column.expression(family);
      const sql = `${type.type}${type.length === undefined ? '' : `(${type.length})`}${type.precision === undefined ? '' : `(${type.precision})`}`;
      // a plain ADD COLUMN, without NULL (MariaDB refuses NULL on a generated column, whichever driver type names it):
      // SQLite and InnoDB add virtual columns in place, where a table rebuild would copy every row
      await runner.query(`ALTER TABLE ${escape(column.table)} ADD COLUMN ${escape(column.name)} ${sql} GENERATED ALWAYS AS (${expression}) VIRTUAL`);
      await recordExpression(runner, { ...(schema !== undefined && { schema }), table: column.table, name: column.name, value: expression });
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    const family = familyOf(runner.connection.options.type);
    if (!hasDesignColumns(family)) return;
    const escape = (name: string): string => runner.connection.driver.escape(name);
    const metadata = escape(runner.connection.metadataTableName);
    for (const column of [...DESIGN_COLUMNS].reverse()) {
      await runner.query(`ALTER TABLE ${escape(column.table)} DROP COLUMN ${escape(column.name)}`);
      await runner.query(`DELETE FROM ${metadata} WHERE ${escape('type')} = 'GENERATED_COLUMN' AND ${escape('table')} = ? AND ${escape('name')} = ?`, [column.table, column.name]);
    }
  }
}

/** TypeORM's metadata table (where it keeps generated columns' expressions), unless there already. */
async function createMetadataTable(runner: QueryRunner): Promise<void> {
  const varchar = (name: string, nullable = true) => ({ name, type: 'varchar', length: '255', isNullable: nullable });
  await runner.createTable(
    new Table({
      name: runner.connection.metadataTableName,
      columns: [varchar('type', false), varchar('database'), varchar('schema'), varchar('table'), varchar('name'), { name: 'value', type: 'text', isNullable: true }],
    }),
    true,
  );
}

/** What TypeORM's own runner records for a generated column it adds (MySQL: with the table's schema, where it reads it back). */
async function recordExpression(runner: QueryRunner, row: { readonly schema?: string; readonly table: string; readonly name: string; readonly value: string }): Promise<void> {
  const [sql, parameters] = runner.connection
    .createQueryBuilder()
    .insert()
    .into(runner.connection.metadataTableName)
    .values({ type: 'GENERATED_COLUMN', ...row })
    .getQueryAndParameters();
  await runner.query(sql, parameters);
}
