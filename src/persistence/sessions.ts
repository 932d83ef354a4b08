import type { DataSource, QueryRunner } from 'typeorm';
import type { RunRow } from './row-mapping';

/** One connection's statements: rows of a query, rows a write touched. */
export interface Session {
  all(sql: string, values: readonly unknown[]): Promise<RunRow[]>;
  run(sql: string, values: readonly unknown[]): Promise<number>;
}

/** Isolation levels the store asks for. */
export type StoreIsolation = 'READ COMMITTED';

/** Connections of a database server's pool, for the store's statements and transactions. */
export interface Sessions {
  /** `work` on a pooled connection in autocommit (each statement commits on its own). */
  autocommit<T>(work: (session: Session) => Promise<T>): Promise<T>;
  /** `work` in one transaction on a pooled connection: committed unless it throws or asks for a rollback. */
  transaction<T>(work: (session: Session, rollback: () => void) => Promise<T>, isolation?: StoreIsolation): Promise<T>;
}

/** MySQL/MariaDB: TypeORM's query runners (a pooled mysql2 connection each). */
export class TypeOrmSessions implements Sessions {
  constructor(private readonly dataSource: DataSource) {}

  async autocommit<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await work(sessionOf(runner));
    } finally {
      await runner.release();
    }
  }

  async transaction<T>(work: (session: Session, rollback: () => void) => Promise<T>, isolation?: StoreIsolation): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    let rollback = false;
    try {
      await runner.startTransaction(isolation);
      const result = await work(sessionOf(runner), () => void (rollback = true));
      if (rollback) await runner.rollbackTransaction();
      else await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }
}

function sessionOf(runner: QueryRunner): Session {
  return {
    all: async (sql, values) => (await runner.query(sql, [...values])) as RunRow[],
    run: async (sql, values) => ((await runner.query(sql, [...values], true)) as { affected?: number }).affected ?? 0,
  };
}
