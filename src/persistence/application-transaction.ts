import type { DataSource, EntityManager } from 'typeorm';

/** Isolation levels MySQL and MariaDB accept. */
export type IsolationLevel = 'READ UNCOMMITTED' | 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

/** MySQL/MariaDB's "deadlock found" and "lock wait timeout": the transaction can simply run again. */
const RETRYABLE_ERRNOS = new Set([1213, 1205]);

/** How `runInTransaction` runs a transaction. */
export interface ApplicationTransactionOptions {
  /** MySQL/MariaDB isolation level (default READ COMMITTED: no gap locks, so fewer deadlocks between parallel steps). */
  readonly isolation?: IsolationLevel;
  /** Attempts in all on MySQL/MariaDB when the server reports a deadlock or a lock wait timeout (default 3). */
  readonly attempts?: number;
}

/** The transaction last queued per SQLite DataSource: they run one after another. */
const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

/**
 * Runs the application's own work (domain tables beside spine's) in a transaction that is safe
 * when steps run side by side (map items, parallel runs):
 * - On SQLite, TypeORM has one connection, and a transaction stays open across its awaits, so two
 *   steps' transactions would interleave on it (one's rollback undoing the other's rows). Here
 *   they run one at a time per DataSource, and spine's own writes wait for them.
 * - On MySQL/MariaDB, in READ COMMITTED by default, and run again (up to `attempts`) when the
 *   server reports a deadlock or a lock wait timeout.
 * - Elsewhere, a plain `dataSource.transaction(work)`.
 */
export function runInTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>, options: ApplicationTransactionOptions = {}): Promise<T> {
  const type = dataSource.options.type;
  if (type === 'better-sqlite3') {
    const run = (sqliteQueues.get(dataSource) ?? Promise.resolve()).then(() => dataSource.transaction(work));
    sqliteQueues.set(
      dataSource,
      run.catch(() => undefined),
    );
    return run;
  }
  if (type !== 'mysql' && type !== 'mariadb') return dataSource.transaction(work);
  return retried(dataSource, work, options.isolation ?? 'READ COMMITTED', options.attempts ?? 3);
}

async function retried<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>, isolation: IsolationLevel, attempts: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await dataSource.transaction(isolation, work);
    } catch (error) {
      const errno = (error as { driverError?: { errno?: number }; errno?: number }).driverError?.errno ?? (error as { errno?: number }).errno;
      if (attempt >= attempts || errno === undefined || !RETRYABLE_ERRNOS.has(errno)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}
