import { consoleLogger } from '../core/logging/logger.port';
import { join, isAbsolute } from 'node:path';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { SpineError } from '../core/errors/spine-error';
import { maskSecrets, maskUrl } from '../core/errors/secret-mask';
import { InMemoryRunStore } from '../core/store/memory/in-memory-run.store';
import { asSpineStore, type SpineStore } from '../core/store/ports/spine-store';
import { SystemClock } from '../core/clock/clock.port';
import type { SpineOptions } from './spine.options';

/** The store a Spine records into, and how to let go of it. */
export interface OpenedStore {
  readonly store: SpineStore;
  readonly dataSource: DataSource | null;
  close(): Promise<void>;
}

function isDataSource(value: unknown): value is DataSource {
  return value !== null && typeof value === 'object' && typeof (value as DataSource).initialize === 'function' && 'options' in value;
}

/** The environment variable naming the database when the options do not. */
export const DATABASE_URL_VARIABLE = 'SPINE_DATABASE_URL';

/**
 * Where a Spine records runs, and why there: `database` as given, else `SPINE_DATABASE_URL`, else
 * the embedded SQLite file `.spine/spine.db` under `cwd`. For messages and `spine doctor`.
 */
export function databaseChoice(options: Pick<SpineOptions, 'database' | 'store'>, env: NodeJS.ProcessEnv = process.env): { readonly database: SpineOptions['database']; readonly source: string } {
  if (options.store !== undefined) return { database: undefined, source: 'the store option (a store of your own)' };
  if (options.database !== undefined) return { database: options.database, source: 'the database option' };
  const url = env[DATABASE_URL_VARIABLE];
  if (url !== undefined && url.trim() !== '') return { database: url.trim(), source: `${DATABASE_URL_VARIABLE}` };
  return { database: undefined, source: 'the default (.spine/spine.db under the working directory)' };
}

/** DataSource options for a database URL: 'sqlite:<file>' (relative to `cwd`), 'sqlite::memory:', 'mysql://…', 'mariadb://…', 'postgres://…', 'postgresql://…'. */
export function databaseUrlOptions(url: string, cwd: string): DataSourceOptions {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const persistence = require('../persistence') as typeof import('../persistence');
  if (/^(mysql|mariadb):\/\//.test(url)) return persistence.mysqlOptions(url.replace(/^mariadb:/, 'mysql:'), url.startsWith('mysql:') ? 'mysql' : 'mariadb');
  if (/^postgres(ql)?:\/\//.test(url)) return persistence.postgresOptions(url);
  const sqlite = /^sqlite:(.+)$/.exec(url);
  if (sqlite !== null) {
    const file = sqlite[1]!.replace(/^\/\/(?=\/)/, ''); // sqlite:///abs/path → /abs/path
    return persistence.sqliteOptions(file === ':memory:' || isAbsolute(file) ? file : join(cwd, file));
  }
  throw new SpineError(
    'invalid-argument',
    `database URL ${JSON.stringify(maskUrl(url))} is not one spine opens: use 'sqlite:.spine/spine.db', 'sqlite::memory:', ` +
      "'mysql://user:password@host:3306/db', 'mariadb://…' or 'postgres://user:password@host:5432/db' (in the database option or SPINE_DATABASE_URL).",
  );
}

/**
 * The TypeORM DataSource `database` names (not initialized yet when Spine makes it), and whether
 * Spine made it (and so closes it); null for 'memory'. Without `database`, `SPINE_DATABASE_URL`
 * when set, else the embedded SQLite file. TypeORM is loaded only when used.
 */
export function resolveDataSource(options: Pick<SpineOptions, 'database' | 'cwd'>, env: NodeJS.ProcessEnv = process.env): { dataSource: DataSource; owned: boolean } | null {
  const database = databaseChoice(options, env).database;
  if (database === 'memory') return null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const persistence = require('../persistence') as typeof import('../persistence');
  const cwd = options.cwd ?? process.cwd();
  if (database === undefined) {
    const file = join(cwd, persistence.DEFAULT_SQLITE_FILE);
    return { dataSource: persistence.createSpineDataSource(persistence.sqliteOptions(file)), owned: true };
  }
  if (typeof database === 'string') return { dataSource: persistence.createSpineDataSource(databaseUrlOptions(database, cwd)), owned: true };
  if (isDataSource(database)) return { dataSource: database, owned: false };
  if (typeof database === 'object' && database !== null && typeof (database as DataSourceOptions).type === 'string') {
    const given = database as DataSourceOptions;
    const relative = given.type === 'better-sqlite3' && typeof given.database === 'string' && given.database !== ':memory:' && !isAbsolute(given.database);
    const resolved = relative ? { ...given, database: join(options.cwd ?? process.cwd(), given.database as string) } : given;
    return { dataSource: persistence.createSpineDataSource(resolved as DataSourceOptions), owned: true };
  }
  throw new SpineError(
    'invalid-argument',
    `Spine.create: database must be 'memory', a database URL ('sqlite:…', 'mysql://…', 'mariadb://…', 'postgres://…'), TypeORM DataSourceOptions or a DataSource (got ${maskSecrets(JSON.stringify(database) ?? String(database))}).`,
  );
}

/** Runs a DataSource's pending migrations, one process at a time (see `runMigrationsExclusively`); TypeORM's persistence is loaded here. */
export function migrateDatabase(dataSource: DataSource): Promise<{ readonly name: string }[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const persistence = require('../persistence') as typeof import('../persistence');
  return persistence.runMigrationsExclusively(dataSource);
}

/** Whether opening a database failed because the server has no database of that name, and creating it (TypeORM's persistence loaded here). */
export const missingDatabase = {
  is(error: unknown): boolean {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../persistence') as typeof import('../persistence')).isMissingDatabase(error);
  },
  nameOf(options: DataSourceOptions): string | null {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../persistence') as typeof import('../persistence')).databaseNameOf(options);
  },
  create(options: DataSourceOptions): Promise<string> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../persistence') as typeof import('../persistence')).createDatabase(options);
  },
};

/** What to do when the server has no database of that name (PostgreSQL 3D000, MySQL 1049): spine makes its tables, not the database. */
function missingDatabaseHint(error: unknown): string {
  const e = error as { code?: unknown; errno?: unknown; driverError?: { code?: unknown; errno?: unknown } };
  const code = e.driverError?.code ?? e.code;
  const errno = e.driverError?.errno ?? e.errno;
  if (code === '3D000') return ' — create it first (createdb <name>, or CREATE DATABASE <name>); spine creates its tables in it, not the database itself.';
  if (errno === 1049) return ' — create it first (CREATE DATABASE <name> CHARACTER SET utf8mb4); spine creates its tables in it, not the database itself.';
  return '';
}

/**
 * Opens the store `Spine.create` asked for: a SpineStore given as `store`; 'memory'; a TypeORM
 * DataSource or its options; or, by default, the embedded SQLite file `.spine/spine.db` under
 * `cwd`. Migrations run unless `migrationsRun: false`. TypeORM is loaded only when used.
 */
export async function openStore(options: SpineOptions): Promise<OpenedStore> {
  if (options.store !== undefined) return { store: asSpineStore(options.store), dataSource: null, close: async () => undefined };
  const clock = options.clock ?? new SystemClock();
  const resolved = resolveDataSource(options);
  if (resolved === null) return { store: asSpineStore(new InMemoryRunStore({ clock })), dataSource: null, close: async () => undefined };
  const { dataSource, owned } = resolved;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const persistence = require('../persistence') as typeof import('../persistence');
  try {
    if (!dataSource.isInitialized) await dataSource.initialize();
    if (options.migrationsRun !== false) await migrateDatabase(dataSource);
  } catch (error) {
    if (owned && dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw new SpineError('invalid-argument', `Spine.create: the database could not be opened or migrated: ${maskSecrets((error as Error).message)}${missingDatabaseHint(error)}`, {
      cause: error,
    });
  }
  const logger = options.logger ?? consoleLogger;
  const store = new persistence.TypeOrmRunStore(dataSource, {
    ...(options.maxOutputBytes !== undefined && { maxOutputBytes: options.maxOutputBytes }),
    warn: (message) => logger.warn({}, message),
    clock,
  });
  return {
    store: asSpineStore(store),
    dataSource,
    close: async () => {
      if (owned && dataSource.isInitialized) await dataSource.destroy();
    },
  };
}
