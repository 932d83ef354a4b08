import { DataSource, type DataSourceOptions } from 'typeorm';
import { SpineError } from '../core/errors/spine-error';
import { familyOf } from './schema/column-types';

/** True when a connection failed because the server has no database of that name (PostgreSQL 3D000, MySQL/MariaDB 1049). */
export function isMissingDatabase(error: unknown): boolean {
  const e = error as { code?: unknown; errno?: unknown; driverError?: { code?: unknown; errno?: unknown } };
  return (e.driverError?.code ?? e.code) === '3D000' || (e.driverError?.errno ?? e.errno) === 1049;
}

/** The database a MySQL/MariaDB or PostgreSQL DataSource's options name (from `database` or the URL's path). */
export function databaseNameOf(options: DataSourceOptions): string | null {
  const given = (options as { database?: unknown }).database;
  if (typeof given === 'string' && given !== '') return given;
  const url = (options as { url?: unknown }).url;
  if (typeof url !== 'string') return null;
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  return name === '' ? null : name;
}

/**
 * Creates the database a MySQL/MariaDB or PostgreSQL DataSource names, connected to its server
 * without it (PostgreSQL: through its `postgres` database); returns its name. `CREATE DATABASE`
 * with the name quoted as an identifier; MySQL's in utf8mb4.
 */
export async function createDatabase(options: DataSourceOptions): Promise<string> {
  const family = familyOf(options.type);
  const name = databaseNameOf(options);
  if (family === 'sqlite' || name === null)
    throw new SpineError('invalid-argument', 'Only a MySQL/MariaDB or PostgreSQL database (a URL or options naming one) can be created; SQLite makes its file itself.');
  if (!/^[A-Za-z0-9_$-]{1,63}$/.test(name))
    throw new SpineError('invalid-argument', `The database name ${JSON.stringify(name)} is not created by spine (letters, digits, _, $ and - only, at most 63): create it yourself.`);
  const url = (options as { url?: unknown }).url;
  const serverUrl = typeof url === 'string' ? Object.assign(new URL(url), { pathname: family === 'postgres' ? '/postgres' : '/' }).toString() : undefined;
  const server = new DataSource({
    ...options,
    ...(serverUrl !== undefined && { url: serverUrl }),
    database: family === 'postgres' ? 'postgres' : undefined,
    entities: [],
    migrations: [],
    synchronize: false,
    migrationsRun: false,
  } as DataSourceOptions);
  await server.initialize();
  try {
    const quoted = server.driver.escape(name);
    await server.query(family === 'postgres' ? `CREATE DATABASE ${quoted}` : `CREATE DATABASE ${quoted} CHARACTER SET utf8mb4`);
  } finally {
    await server.destroy();
  }
  return name;
}
