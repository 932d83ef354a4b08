import type { ColumnType } from 'typeorm';

/** The two database families the schema is written for. */
export type DriverFamily = 'sqlite' | 'mysql';

/** The family of a TypeORM driver type; throws for drivers this schema was not written for. */
export function familyOf(type: string): DriverFamily {
  if (type === 'better-sqlite3' || type === 'sqlite') return 'sqlite';
  if (type === 'mysql' || type === 'mariadb') return 'mysql';
  throw new Error(`spine-orchestration persists to better-sqlite3, mysql or mariadb; "${type}" is not supported.`);
}

/** Column types by family: JSON documents need LONGTEXT on MySQL (TEXT stops at 64 KiB). */
export function columnTypes(family: DriverFamily) {
  return {
    json: (family === 'mysql' ? 'longtext' : 'text') as ColumnType,
    text: 'text' as ColumnType,
    datetime: 'datetime' as ColumnType,
    /** Milliseconds on MySQL; SQLite keeps what it is given. */
    datetimePrecision: family === 'mysql' ? 3 : undefined,
    double: (family === 'mysql' ? 'double' : 'real') as ColumnType,
    boolean: 'boolean' as ColumnType,
    /** SQLite only auto-increments an INTEGER PRIMARY KEY. */
    id: (family === 'sqlite' ? 'integer' : 'int') as ColumnType,
    /** TypeORM reads SQLite's int back as integer: declare it so, or the schema looks changed. */
    int: (family === 'sqlite' ? 'integer' : 'int') as ColumnType,
  } as const;
}
