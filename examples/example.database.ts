import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DataSource, DataSourceOptions, EntitySchema, ValueTransformer } from 'typeorm';
import { createSpineDataSource, DEFAULT_SQLITE_FILE, mysqlOptions, postgresOptions, sqliteOptions } from 'spine-orchestration/typeorm';

/** What an example adds to the database: its tables and the migrations that create them. */
export interface ExampleSchema {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly entities: readonly (Function | EntitySchema)[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly migrations: readonly Function[];
}

/**
 * One DataSource for spine's tables and the examples' domain tables: the embedded SQLite file
 * (`.spine/spine.db` under `cwd`) unless `SPINE_DATABASE_URL` names another SQLite file, a
 * PostgreSQL or a MySQL/MariaDB server.
 */
export function exampleDataSource(schemas: readonly ExampleSchema[], cwd: string = process.cwd()): DataSource {
  const url = process.env.SPINE_DATABASE_URL?.trim();
  // the URL forms spine itself takes: 'sqlite:<file>' (relative to cwd; sqlite:///abs), 'postgres://…', 'mysql://…', 'mariadb://…'
  const base = !url
    ? sqliteOptions(`${cwd}/${DEFAULT_SQLITE_FILE}`)
    : url.startsWith('sqlite:')
      ? sqliteOptions(resolve(cwd, url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')))
      : /^postgres(ql)?:\/\//.test(url)
        ? postgresOptions(url)
        : mysqlOptions(url.replace(/^mariadb:/, 'mysql:'));
  return createSpineDataSource({ ...base, entities: schemas.flatMap((s) => s.entities), migrations: schemas.flatMap((s) => s.migrations) } as DataSourceOptions);
}

/** Where the example's data lives, for people reading the output. */
export function describeDatabase(dataSource: DataSource): string {
  const options = dataSource.options;
  return options.type === 'better-sqlite3' ? String(options.database) : `${options.type} database ${String((options as { database?: string }).database ?? '(from SPINE_DATABASE_URL)')}`;
}

/** BIGINT columns (share counts pass 2^31) read back as numbers on both drivers. */
export const bigintAsNumber: ValueTransformer = { to: (value: number) => value, from: (value: string | number | null) => (value === null ? null : Number(value)) };

/**
 * An example's data directory: `$envVar` when set, else `data/<sub>` next to the example's
 * module, from its source (examples/<name>) or its compiled copy (build/examples/<name>).
 */
export function exampleDataDir(envVar: string, moduleDir: string, example: string, sub: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  const candidates = [join(moduleDir, 'data', sub), join(moduleDir, '..', '..', '..', 'examples', example, 'data', sub)];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0]!;
}
