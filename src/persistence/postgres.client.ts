import type { DataSource } from 'typeorm';
import { retryDeadlock } from './deadlock-retry';
import { postgresText, postgresValue } from './dialect';
import type { RunRow } from './row-mapping';
import type { Session, Sessions, StoreIsolation } from './sessions';
import type { SqlClient } from './sql-client';

/** What spine uses of node-postgres (`pg`): a pool's clients and their queries. */
interface PgQueryConfig {
  readonly text: string;
  readonly values: unknown[];
  readonly types?: PgTypes;
}
interface PgResult {
  readonly rows: RunRow[];
  readonly rowCount: number | null;
}
export interface PgPoolClient {
  query(config: PgQueryConfig | string): Promise<PgResult>;
  release(destroy?: boolean | Error): void;
}
export interface PgPool {
  connect(): Promise<PgPoolClient>;
  query(config: PgQueryConfig): Promise<PgResult>;
  /** The connection settings the pool was made with (a listening connection is made with the same). */
  readonly options?: object;
}
interface PgTypes {
  getTypeParser(oid: number, format?: string): (value: string) => unknown;
}

/** Type OIDs whose text spine reads itself: json/jsonb as text (a stored JSON string stays distinguishable), int8 and numeric as numbers. */
const JSON_OIDS = new Set([114, 3802]);
const INT8 = 20;
const NUMERIC = 1700;

/** The pg pool under a TypeORM DataSource (`postgres` driver), the pg module's type parsers and its Client class. */
export function poolOf(dataSource: DataSource): { pool: PgPool; types: PgTypes; Client: new (config: object) => never } {
  const driver = dataSource.driver as unknown as { master?: PgPool; postgres?: { types?: PgTypes; Client: new (config: object) => never } };
  if (driver.master === undefined || driver.postgres?.types === undefined) throw new Error('the DataSource is not an initialized postgres DataSource');
  const defaults = driver.postgres.types;
  // per query, not the pg module's global parsers: the application's own queries on the same pool keep theirs
  const types: PgTypes = {
    getTypeParser(oid, format) {
      if (JSON_OIDS.has(oid)) return (value) => value;
      if (oid === INT8 || oid === NUMERIC) return (value) => Number(value);
      return defaults.getTypeParser(oid, format);
    },
  };
  return { pool: driver.master, types, Client: driver.postgres.Client };
}

/**
 * PostgreSQL through node-postgres's pool under the DataSource, without TypeORM's query runner:
 * '?' placeholders rewritten to `$n` (cached per text), datetimes sent with their UTC zone, and
 * JSON, bigint and numeric columns read back as spine reads them on the other drivers.
 */
export class PostgresSessions implements Sessions, SqlClient {
  private readonly pool: PgPool;
  private readonly types: PgTypes;

  constructor(dataSource: DataSource) {
    ({ pool: this.pool, types: this.types } = poolOf(dataSource));
  }

  private config(sql: string, values: readonly unknown[]): PgQueryConfig {
    return { text: postgresText(sql), values: values.map(postgresValue), types: this.types };
  }

  async all(sql: string, values: readonly unknown[] = []): Promise<RunRow[]> {
    return (await this.pool.query(this.config(sql, values))).rows;
  }

  /** One autocommit statement: a deadlock rolled it back whole, so it runs again. */
  run(sql: string, values: readonly unknown[] = []): Promise<number> {
    return retryDeadlock(async () => (await this.pool.query(this.config(sql, values))).rowCount ?? 0);
  }

  private sessionOf(client: PgPoolClient): Session {
    return {
      all: async (sql, values) => (await client.query(this.config(sql, values))).rows,
      run: async (sql, values) => (await client.query(this.config(sql, values))).rowCount ?? 0,
    };
  }

  autocommit<T>(work: (session: Session) => Promise<T>): Promise<T> {
    return work(this);
  }

  async transaction<T>(work: (session: Session, rollback: () => void) => Promise<T>, isolation?: StoreIsolation): Promise<T> {
    const client = await this.pool.connect();
    let rollback = false;
    let open = false;
    let broken: Error | undefined;
    try {
      await client.query(isolation === undefined ? 'BEGIN' : `BEGIN ISOLATION LEVEL ${isolation}`);
      open = true;
      const result = await work(this.sessionOf(client), () => void (rollback = true));
      open = false;
      await client.query(rollback ? 'ROLLBACK' : 'COMMIT');
      return result;
    } catch (error) {
      if (open) await client.query('ROLLBACK').catch((e: Error) => void (broken = e));
      throw error;
    } finally {
      // a connection whose ROLLBACK failed is not handed to anyone else
      client.release(broken ?? false);
    }
  }
}
