import { createHash } from 'node:crypto';
import type { DataSource, Migration } from 'typeorm';
import { SpineError } from '../core/errors/spine-error';
import { familyOf } from './schema/column-types';
import { sqliteDatabaseOf } from './sql-client';

/** How long a process waits for another one's migrations before giving up. */
const LOCK_TIMEOUT_SECONDS = 120;

/**
 * Runs the DataSource's pending migrations (spine's and the application's) so that processes
 * starting at once on an empty database do not race: on MySQL/MariaDB under a named lock
 * (`GET_LOCK`, per database, held by one connection while the migrations run on others: DDL
 * commits implicitly, so a transaction could not serialise them); on PostgreSQL under a session
 * advisory lock (`pg_advisory_lock`, keyed by database and schema) held the same way; on SQLite inside one
 * `BEGIN IMMEDIATE` transaction, which holds other writers off and rolls every migration back on
 * failure. The second process finds nothing left to do. Returns the migrations that ran here.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<Migration[]> {
  const family = familyOf(dataSource.options.type);
  return family === 'sqlite' ? migrateSqlite(dataSource) : family === 'postgres' ? migratePostgres(dataSource) : migrateMysql(dataSource);
}

async function migrateSqlite(dataSource: DataSource): Promise<Migration[]> {
  const db = sqliteDatabaseOf(dataSource) as unknown as { exec(sql: string): void; readonly inTransaction: boolean };
  // BEGIN IMMEDIATE waits (busy_timeout) while another process migrates; past that, try again
  for (const deadline = Date.now() + LOCK_TIMEOUT_SECONDS * 1000; ;) {
    try {
      db.exec('BEGIN IMMEDIATE');
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    const applied = await dataSource.runMigrations({ transaction: 'none' });
    db.exec('COMMIT');
    return applied;
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

async function migrateMysql(dataSource: DataSource): Promise<Migration[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [{ name } = { name: null }] = (await runner.query('SELECT DATABASE() AS name')) as { name: string | null }[];
    // lock names are server-wide and at most 64 characters: one per database
    const lock = `spine:migrate:${createHash('sha256').update(String(name)).digest('hex').slice(0, 40)}`;
    const [{ got } = { got: null }] = (await runner.query('SELECT GET_LOCK(?, ?) AS got', [lock, LOCK_TIMEOUT_SECONDS])) as { got: number | null }[];
    if (Number(got) !== 1) {
      throw new SpineError(
        'invalid-argument',
        `Another process has been migrating database "${String(name)}" for over ${LOCK_TIMEOUT_SECONDS} s (lock ${lock}); ` +
          'wait for it, or look for a stuck process holding that lock (SELECT IS_USED_LOCK(…)).',
      );
    }
    try {
      return await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [lock]);
    }
  } finally {
    await runner.release();
  }
}

async function migratePostgres(dataSource: DataSource): Promise<Migration[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [{ name } = { name: null }] = (await runner.query("SELECT current_database() || '.' || current_schema() AS name")) as { name: string | null }[];
    // one advisory lock per database and schema: a 64-bit key from the name's hash
    const key = BigInt.asIntN(
      64,
      BigInt(
        `0x${createHash('sha256')
          .update(`spine:migrate:${String(name)}`)
          .digest('hex')
          .slice(0, 16)}`,
      ),
    ).toString();
    await runner.query(`SET lock_timeout = '${LOCK_TIMEOUT_SECONDS}s'`);
    try {
      await runner.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code !== '55P03') throw error;
      throw new SpineError(
        'invalid-argument',
        `Another process has been migrating database "${String(name)}" for over ${LOCK_TIMEOUT_SECONDS} s (advisory lock ${key}); ` +
          "wait for it, or look for a stuck process holding that lock (SELECT pid FROM pg_locks WHERE locktype = 'advisory').",
      );
    } finally {
      await runner.query('RESET lock_timeout');
    }
    try {
      return await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
    }
  } finally {
    await runner.release();
  }
}
