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
 * commits implicitly, so a transaction could not serialise them); on SQLite inside one
 * `BEGIN IMMEDIATE` transaction, which holds other writers off and rolls every migration back on
 * failure. The second process finds nothing left to do. Returns the migrations that ran here.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<Migration[]> {
  return familyOf(dataSource.options.type) === 'sqlite' ? migrateSqlite(dataSource) : migrateMysql(dataSource);
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
