import type { ColumnType } from 'typeorm';

/** The three database families the schema is written for. */
export type DriverFamily = 'sqlite' | 'mysql' | 'postgres';

/** The family of a TypeORM driver type; throws for drivers this schema was not written for. */
export function familyOf(type: string): DriverFamily {
  if (type === 'better-sqlite3' || type === 'sqlite') return 'sqlite';
  if (type === 'mysql' || type === 'mariadb') return 'mysql';
  if (type === 'postgres') return 'postgres';
  throw new Error(`spine-orchestration persists to better-sqlite3, mysql, mariadb or postgres; "${type}" is not supported.`);
}

/** True where an index may say `WHERE …` (SQLite, PostgreSQL): a column most rows leave NULL costs no index write. */
export function hasPartialIndexes(family: DriverFamily): boolean {
  return family !== 'mysql';
}

/**
 * Column types by family: JSON documents need LONGTEXT on MySQL (TEXT stops at 64 KiB) and are
 * `jsonb` on PostgreSQL; times are `timestamptz` there (written and read as UTC).
 */
export function columnTypes(family: DriverFamily) {
  const postgres = family === 'postgres';
  return {
    json: (family === 'mysql' ? 'longtext' : postgres ? 'jsonb' : 'text') as ColumnType,
    text: 'text' as ColumnType,
    datetime: (postgres ? 'timestamptz' : 'datetime') as ColumnType,
    /** Milliseconds on MySQL and PostgreSQL; SQLite keeps what it is given. */
    datetimePrecision: family === 'sqlite' ? undefined : 3,
    double: (family === 'mysql' ? 'double' : postgres ? 'double precision' : 'real') as ColumnType,
    boolean: 'boolean' as ColumnType,
    /** A boolean column's default, as its DDL spells false / true. */
    falseSql: postgres ? 'false' : '0',
    trueSql: postgres ? 'true' : '1',
    /** SQLite only auto-increments an INTEGER PRIMARY KEY. */
    id: (family === 'sqlite' ? 'integer' : 'int') as ColumnType,
    /** TypeORM reads SQLite's int back as integer: declare it so, or the schema looks changed. */
    int: (family === 'sqlite' ? 'integer' : 'int') as ColumnType,
  } as const;
}
