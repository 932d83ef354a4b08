import type { DataSource, EntityManager } from 'typeorm';
import { isRetryableConflict } from './deadlock-retry';

/** Isolation levels MySQL, MariaDB and PostgreSQL accept. */
export type IsolationLevel = 'READ UNCOMMITTED' | 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

/** How `runInTransaction` runs a transaction. */
export interface ApplicationTransactionOptions {
  /** MySQL/MariaDB/PostgreSQL isolation level (default READ COMMITTED: on MySQL no gap locks, so fewer deadlocks between parallel steps). */
  readonly isolation?: IsolationLevel;
  /** Attempts in all on MySQL/MariaDB/PostgreSQL when the server reports a deadlock, a lock wait timeout or a serialization failure (default 3). */
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
 * - On MySQL/MariaDB and PostgreSQL, in READ COMMITTED by default, and run again (up to
 *   `attempts`) when the server reports a deadlock, a lock wait timeout or a serialization failure.
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
  if (type !== 'mysql' && type !== 'mariadb' && type !== 'postgres') return dataSource.transaction(work);
  return retried(dataSource, work, options.isolation ?? 'READ COMMITTED', options.attempts ?? 3);
}

async function retried<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>, isolation: IsolationLevel, attempts: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await dataSource.transaction(isolation, work);
    } catch (error) {
      if (attempt >= attempts || !isRetryableConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}
