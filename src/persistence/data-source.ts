import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { SpineError } from '../core/errors/spine-error';
import { familyOf, type DriverFamily } from './schema/column-types';
import { spineEntities } from './schema/entities';
import { InitialSchema1767225600000 } from './migrations/1767225600000-initial-schema';
import { FencingEpochs1767312000000 } from './migrations/1767312000000-fencing-epochs';
import { RunQueue1767398400000 } from './migrations/1767398400000-run-queue';
import { SchedulesSignals1767484800000 } from './migrations/1767484800000-schedules-signals';
import { DurableHotPath1767571200000 } from './migrations/1767571200000-durable-hot-path';
import { DesignSchema1767657600000 } from './migrations/1767657600000-design-schema';
import { RunTraceparent1767744000000 } from './migrations/1767744000000-run-traceparent';
import { SignalDedupeWorkerWorkflows1767830400000 } from './migrations/1767830400000-signal-dedupe-worker-workflows';
import { DeployVersions1767916800000 } from './migrations/1767916800000-deploy-versions';
import { DesignViewNumbers1768003200000 } from './migrations/1768003200000-design-view-numbers';
import { DesignColumns1768176000000 } from './migrations/1768176000000-design-columns';
import { ScheduleDeclarations1768262400000 } from './migrations/1768262400000-schedule-declarations';
import { OriginalParams1768089600000 } from './migrations/1768089600000-original-params';

/** Every migration, in order. */
export const spineMigrations = [
  InitialSchema1767225600000,
  FencingEpochs1767312000000,
  RunQueue1767398400000,
  SchedulesSignals1767484800000,
  DurableHotPath1767571200000,
  DesignSchema1767657600000,
  RunTraceparent1767744000000,
  SignalDedupeWorkerWorkflows1767830400000,
  DeployVersions1767916800000,
  DesignViewNumbers1768003200000,
  OriginalParams1768089600000,
  DesignColumns1768176000000,
  ScheduleDeclarations1768262400000,
];

/** The default embedded database: a file under `.spine/` in the working directory. */
export const DEFAULT_SQLITE_FILE = '.spine/spine.db';

/** DataSource options for the embedded SQLite store (WAL; synchronous NORMAL unless given). */
export function sqliteOptions(file = DEFAULT_SQLITE_FILE, options: { synchronous?: 'NORMAL' | 'FULL' } = {}): DataSourceOptions {
  const database = file === ':memory:' ? file : resolve(file);
  if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
  return {
    type: 'better-sqlite3',
    database,
    enableWAL: true,
    prepareDatabase: (db: { pragma(statement: string): unknown }) => {
      db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
    },
  };
}

/** DataSource options for MySQL 8 / MariaDB ≥ 10.6 from a URL (mysql://user:pass@host:port/db). */
export function mysqlOptions(url: string, type: 'mysql' | 'mariadb' = 'mariadb'): DataSourceOptions {
  return { type, url, timezone: 'Z', charset: 'utf8mb4', supportBigNumbers: true, bigNumberStrings: false };
}

/** What `postgresOptions` takes beside a URL: where the server is, and TypeORM's own PostgreSQL options. */
export interface PostgresConnection {
  readonly host?: string;
  readonly port?: number;
  readonly username?: string;
  readonly password?: string;
  readonly database?: string;
  /** The schema spine's tables go in (default the connection's search path, normally `public`). */
  readonly schema?: string;
  readonly ssl?: boolean | Record<string, unknown>;
  /** Connections in the pool (default 10). */
  readonly poolSize?: number;
  readonly applicationName?: string;
}

/**
 * DataSource options for PostgreSQL ≥ 12 from a URL (postgres://user:pass@host:5432/db, or
 * postgresql://…) or connection fields. Needs the `pg` package (`npm i pg`).
 */
export function postgresOptions(connection: string | PostgresConnection): DataSourceOptions {
  requirePg();
  const given = typeof connection === 'string' ? { url: connection.replace(/^postgresql:/, 'postgres:') } : connection;
  return { type: 'postgres', applicationName: 'spine-orchestration', ...given } as DataSourceOptions;
}

/** The driver package of each family, and what to install when it is missing (peer dependencies of spine: one copy, the application's). */
const DRIVERS = {
  postgres: { package: 'pg', what: 'PostgreSQL', install: 'npm i pg' },
  mysql: { package: 'mysql2', what: 'MySQL/MariaDB', install: 'npm i mysql2' },
  sqlite: { package: 'better-sqlite3', what: 'The embedded SQLite database', install: 'npm i better-sqlite3@12' },
} as const;

/** Throws a clear error when the driver package of a database family is not installed. */
function requireDriver(family: DriverFamily): void {
  const driver = DRIVERS[family];
  try {
    require.resolve(driver.package, { paths: [process.cwd(), __dirname] });
  } catch {
    throw new SpineError('invalid-argument', `${driver.what} needs the "${driver.package}" package, which is not installed: ${driver.install}`);
  }
}

const requirePg = (): void => requireDriver('postgres');

/**
 * The options with spine's entities and migrations added (entities typed for the driver family).
 * Your own entities and migrations stay as given; with `synchronize: true` TypeORM keeps
 * synchronizing *your* tables, while spine's are left out of it (their entities say
 * `synchronize: false`) and made by spine's migrations, which `Spine.create` runs.
 */
export function withSpineSchema(options: DataSourceOptions): DataSourceOptions {
  const family = familyOf(options.type);
  requireDriver(family);
  const synchronize = options.synchronize === true;
  const spine = spineEntities(family);
  if (synchronize) for (const entity of spine) (entity.options as { synchronize?: boolean }).synchronize = false;
  return {
    ...options,
    entities: [...((options.entities as unknown[]) ?? []), ...spine],
    migrations: [...((options.migrations as unknown[]) ?? []), ...spineMigrations],
    synchronize,
  } as DataSourceOptions;
}

/** A DataSource for spine's schema (not yet initialized). */
export function createSpineDataSource(options: DataSourceOptions): DataSource {
  return new DataSource(withSpineSchema(options));
}
