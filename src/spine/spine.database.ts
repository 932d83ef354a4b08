import { join, isAbsolute } from 'node:path';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { SpineError } from '../core/errors/spine-error';
import { InMemoryRunStore } from '../core/store/in-memory-run.store';
import type { RunStore } from '../core/store/run-store.port';
import type { SpineOptions } from './spine.options';

/** The store a Spine records into, and how to let go of it. */
export interface OpenedStore {
  readonly store: RunStore;
  readonly dataSource: DataSource | null;
  close(): Promise<void>;
}

function isDataSource(value: unknown): value is DataSource {
  return value !== null && typeof value === 'object' && typeof (value as DataSource).initialize === 'function' && 'options' in value;
}

/**
 * The TypeORM DataSource `database` names (not initialized yet when Spine makes it), and whether
 * Spine made it (and so closes it); null for 'memory'. TypeORM is loaded only when used.
 */
export function resolveDataSource(options: Pick<SpineOptions, 'database' | 'cwd'>): { dataSource: DataSource; owned: boolean } | null {
  const database = options.database;
  if (database === 'memory') return null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const persistence = require('../persistence') as typeof import('../persistence');
  if (database === undefined) {
    const file = join(options.cwd ?? process.cwd(), persistence.DEFAULT_SQLITE_FILE);
    return { dataSource: persistence.createSpineDataSource(persistence.sqliteOptions(file)), owned: true };
  }
  if (isDataSource(database)) return { dataSource: database, owned: false };
  if (typeof database === 'object' && database !== null && typeof (database as DataSourceOptions).type === 'string') {
    const given = database as DataSourceOptions;
    const relative = given.type === 'better-sqlite3' && typeof given.database === 'string' && given.database !== ':memory:' && !isAbsolute(given.database);
    const resolved = relative ? { ...given, database: join(options.cwd ?? process.cwd(), given.database as string) } : given;
    return { dataSource: persistence.createSpineDataSource(resolved as DataSourceOptions), owned: true };
  }
  throw new SpineError(
    'invalid-argument',
    `Spine.create: database must be 'memory', TypeORM DataSourceOptions or a DataSource (got ${JSON.stringify(database)}).`,
  );
}

/** Runs a DataSource's pending migrations, one process at a time (see `runMigrationsExclusively`); TypeORM's persistence is loaded here. */
export function migrateDatabase(dataSource: DataSource): Promise<{ readonly name: string }[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const persistence = require('../persistence') as typeof import('../persistence');
  return persistence.runMigrationsExclusively(dataSource);
}

/**
 * Opens the store `Spine.create` asked for: a RunStore given as `store`; 'memory'; a TypeORM
 * DataSource or its options; or, by default, the embedded SQLite file `.spine/spine.db` under
 * `cwd`. Migrations run unless `migrationsRun: false`. TypeORM is loaded only when used.
 */
export async function openStore(options: SpineOptions): Promise<OpenedStore> {
  if (options.store !== undefined) return { store: options.store, dataSource: null, close: async () => undefined };
  const resolved = resolveDataSource(options);
  if (resolved === null) return { store: new InMemoryRunStore(), dataSource: null, close: async () => undefined };
  const { dataSource, owned } = resolved;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const persistence = require('../persistence') as typeof import('../persistence');
  try {
    if (!dataSource.isInitialized) await dataSource.initialize();
    if (options.migrationsRun !== false) await migrateDatabase(dataSource);
  } catch (error) {
    if (owned && dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw new SpineError('invalid-argument', `Spine.create: the database could not be opened or migrated: ${(error as Error).message}`, { cause: error });
  }
  const logger = options.logger ?? console;
  const store = new persistence.TypeOrmRunStore(dataSource, {
    ...(options.maxOutputBytes !== undefined && { maxOutputBytes: options.maxOutputBytes }),
    warn: (message) => logger.warn(`spine-orchestration: ${message}`),
  });
  return {
    store,
    dataSource,
    close: async () => {
      if (owned && dataSource.isInitialized) await dataSource.destroy();
    },
  };
}
