import type { DataSource } from 'typeorm';
import { retryDeadlock } from './deadlock-retry';
import type { RunRow } from './row-mapping';

/** The two things the store asks of a database: rows for a query, and how many rows a write touched. */
export interface SqlClient {
  all(sql: string, values?: readonly unknown[]): Promise<RunRow[]>;
  run(sql: string, values?: readonly unknown[]): Promise<number>;
}

/** A better-sqlite3 prepared statement. */
export interface SqliteStatement {
  all(...values: unknown[]): RunRow[];
  get(...values: unknown[]): RunRow | undefined;
  run(...values: unknown[]): { changes: number };
  readonly reader: boolean;
}

/** A better-sqlite3 transaction function (BEGIN DEFERRED), with its BEGIN IMMEDIATE variant. */
export type SqliteTransaction<A extends unknown[], R> = ((...args: A) => R) & { readonly immediate: (...args: A) => R };

/** The better-sqlite3 handle under a TypeORM DataSource. */
export interface SqliteDatabase {
  /** True while a transaction is open on the connection (better-sqlite3's own property). */
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteStatement;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqliteTransaction<A, R>;
}

/** The connection TypeORM opened for better-sqlite3. */
export function sqliteDatabaseOf(dataSource: DataSource): SqliteDatabase {
  return (dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
}

/**
 * Resolves once no transaction is open on the shared connection (null when none is). TypeORM's
 * SQLite driver has one connection: a write issued while the application's own transaction is
 * open (awaiting between its statements) would become part of it, and its rollback would take
 * spine's records along. Spine's writes wait for it to end instead.
 */
export function afterOpenTransaction(db: SqliteDatabase): Promise<void> | null {
  if (!db.inTransaction) return null;
  return new Promise<void>((resolve) => {
    let spins = 0;
    const check = (): void => {
      if (!db.inTransaction) resolve();
      else if (++spins < 64) setImmediate(check);
      else setTimeout(check, 1);
    };
    setImmediate(check);
  });
}

/** SQLite through prepared statements on TypeORM's connection (cached by SQL text): no query-runner round trip. */
export class SqliteClient implements SqlClient {
  private readonly statements = new Map<string, SqliteStatement>();

  constructor(private readonly db: SqliteDatabase) {}

  async all(sql: string, values: readonly unknown[] = []): Promise<RunRow[]> {
    return this.prepared(sql).all(...values);
  }

  async run(sql: string, values: readonly unknown[] = []): Promise<number> {
    const open = afterOpenTransaction(this.db);
    if (open !== null) await open;
    return this.prepared(sql).run(...values).changes;
  }

  /** The prepared statement of `sql`, cached by its text. */
  prepared(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      if (this.statements.size < 256) this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** Any other driver through TypeORM (a pooled connection per call). */
export class TypeOrmClient implements SqlClient {
  constructor(private readonly dataSource: DataSource) {}

  async all(sql: string, values: readonly unknown[] = []): Promise<RunRow[]> {
    return (await this.dataSource.query(sql, [...values])) as RunRow[];
  }

  /** One autocommit statement: a deadlock or lock wait timeout rolled it back whole, so it runs again (as every transaction of the store does). */
  run(sql: string, values: readonly unknown[] = []): Promise<number> {
    return retryDeadlock(async () => {
      const runner = this.dataSource.createQueryRunner();
      try {
        const result = (await runner.query(sql, [...values], true)) as { affected?: number };
        return result.affected ?? 0;
      } finally {
        await runner.release();
      }
    });
  }
}
