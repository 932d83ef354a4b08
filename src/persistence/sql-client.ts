import type { DataSource } from 'typeorm';
import type { RunRow } from './row-mapping';

/** The two things the store asks of a database: rows for a query, and how many rows a write touched. */
export interface SqlClient {
  all(sql: string, values?: readonly unknown[]): Promise<RunRow[]>;
  run(sql: string, values?: readonly unknown[]): Promise<number>;
}

interface Statement {
  all(...values: unknown[]): RunRow[];
  run(...values: unknown[]): { changes: number };
  readonly reader: boolean;
}

/** The better-sqlite3 handle under a TypeORM DataSource. */
export interface SqliteDatabase {
  prepare(sql: string): Statement;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
}

/** The connection TypeORM opened for better-sqlite3. */
export function sqliteDatabaseOf(dataSource: DataSource): SqliteDatabase {
  return (dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
}

/** SQLite through prepared statements on TypeORM's connection (cached by SQL text): no query-runner round trip. */
export class SqliteClient implements SqlClient {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: SqliteDatabase) {}

  async all(sql: string, values: readonly unknown[] = []): Promise<RunRow[]> {
    return this.statement(sql).all(...values);
  }

  async run(sql: string, values: readonly unknown[] = []): Promise<number> {
    return this.statement(sql).run(...values).changes;
  }

  private statement(sql: string): Statement {
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

  async run(sql: string, values: readonly unknown[] = []): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const result = (await runner.query(sql, [...values], true)) as { affected?: number };
      return result.affected ?? 0;
    } finally {
      await runner.release();
    }
  }
}
