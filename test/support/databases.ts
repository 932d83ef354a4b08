import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { Client } from 'pg';
import { dialectOf } from '../../src/persistence/dialect';
import { createSpineDataSource, mysqlOptions, postgresOptions, runMigrationsExclusively, sqliteOptions } from '../../src/persistence';

/** The databases the suites run on. */
export type TestDriver = 'sqlite' | 'mariadb' | 'postgres';

/** A fresh database of one driver with spine's schema migrated, and how to throw it away. */
export interface TestDatabase {
  readonly driver: TestDriver;
  readonly dataSource: DataSource;
  /** Another DataSource on the same database (a second process, in effect). */
  open(): Promise<DataSource>;
  drop(): Promise<void>;
}

/** The drivers the persistence suites run on here: SQLite always, MariaDB and PostgreSQL when their servers are available. */
export function testDrivers(): TestDriver[] {
  return ['sqlite', ...(process.env.SPINE_TEST_MYSQL_URL ? (['mariadb'] as const) : []), ...(process.env.SPINE_TEST_POSTGRES_URL ? (['postgres'] as const) : [])];
}

/** The database servers available here (the drivers but SQLite). */
export function serverDrivers(): ('mariadb' | 'postgres')[] {
  return testDrivers().filter((d): d is 'mariadb' | 'postgres' => d !== 'sqlite');
}

/** Tables an application adds beside spine's (an example's domain tables). */
export interface ExtraSchema {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly entities: readonly Function[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly migrations: readonly Function[];
}

/** Creates a database for one test file: a temp SQLite file, or a new MariaDB or PostgreSQL database; migrated. */
export async function createTestDatabase(driver: TestDriver, extra: readonly ExtraSchema[] = []): Promise<TestDatabase> {
  const { options: base, cleanup } = driver === 'sqlite' ? sqliteDatabase() : driver === 'mariadb' ? await mariaDbDatabase() : await postgresDatabase();
  const options = { ...base, entities: extra.flatMap((e) => e.entities), migrations: extra.flatMap((e) => e.migrations) } as DataSourceOptions;
  const open = async () => withPlaceholders(await createSpineDataSource(options).initialize());
  const dataSource = await open();
  await runMigrationsExclusively(dataSource);
  return {
    driver,
    dataSource,
    open,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await cleanup();
    },
  };
}

/**
 * Gives a `describe` block its own migrated database for the driver: created before its tests,
 * dropped after them. Read it inside tests through the returned function.
 */
export function useTestDatabase(driver: TestDriver, extra: readonly ExtraSchema[] = []): () => TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(driver, extra);
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });
  return () => db!;
}

/**
 * Tests write their SQL once, with '?' placeholders; on PostgreSQL the DataSource's `query`
 * rewrites them to `$n` as the store does (and sends the store's UTC datetimes with their zone).
 */
export function withPlaceholders(dataSource: DataSource): DataSource {
  if (dataSource.options.type !== 'postgres') return dataSource;
  const query = dataSource.query.bind(dataSource);
  dataSource.query = ((sql: string, values?: unknown[], runner?: never) => {
    const [text, params] = dialectOf('postgres').forDriver(sql, values ?? []);
    return query(text, params, runner);
  }) as DataSource['query'];
  return dataSource;
}

function sqliteDatabase(): { options: DataSourceOptions; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'spine-sqlite-'));
  return { options: sqliteOptions(join(dir, 'spine.db')), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function mariaDbDatabase(): Promise<{ options: DataSourceOptions; cleanup: () => Promise<void> }> {
  const server = process.env.SPINE_TEST_MYSQL_URL!;
  const name = `spine_test_${randomBytes(6).toString('hex')}`;
  const admin = await createConnection(server);
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  return {
    options: mysqlOptions(`${server.replace(/\/[^/]*$/, '')}/${name}`),
    cleanup: async () => {
      await admin.query(`DROP DATABASE ${name}`);
      await admin.end();
    },
  };
}

/** A new database on the test PostgreSQL server (SPINE_TEST_POSTGRES_URL), dropped by `cleanup`. */
export async function postgresDatabase(): Promise<{ options: DataSourceOptions; url: string; cleanup: () => Promise<void> }> {
  const server = process.env.SPINE_TEST_POSTGRES_URL!;
  const name = `spine_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = `${server.replace(/\/[^/]*$/, '')}/${name}`;
  return {
    options: postgresOptions(url),
    url,
    cleanup: async () => {
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/**
 * A describe block that needs MySQL/MariaDB: registered when a server is available, otherwise
 * left out (the test set-up has printed that the MySQL suite did not run, and how to enable it).
 */
export function describeOnMariaDb(name: string, body: () => void): void {
  if (process.env.SPINE_TEST_MYSQL_URL) describe(name, body);
}

/**
 * The nodes of PostgreSQL's plan for `sql` ("Limit", "LockRows", "Index Scan using ix_…"), top
 * down, with sequential scans disabled for the statement: on a test's small table the planner
 * would scan it whole, which says nothing about the millions of rows an index has to serve. So the
 * plan shows whether an index serves the query in its order (no Sort node), as at scale.
 */
export async function postgresPlan(dataSource: DataSource, sql: string, options: { readonly seqscan?: boolean } = {}): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.startTransaction();
    if (options.seqscan !== true) await runner.query('SET LOCAL enable_seqscan = off');
    const [row] = (await runner.query(`EXPLAIN (FORMAT JSON) ${sql}`)) as { 'QUERY PLAN': { Plan: PlanNode }[] }[];
    const nodes: string[] = [];
    const walk = (node: PlanNode): void => {
      nodes.push(node['Index Name'] === undefined ? node['Node Type'] : `${node['Node Type']} using ${node['Index Name']}`);
      for (const child of node.Plans ?? []) walk(child);
    };
    walk(row!['QUERY PLAN'][0]!.Plan);
    return nodes;
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
}

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Index Name'?: string;
  readonly Plans?: PlanNode[];
}

/** A JSON column's value as a test reads it with `dataSource.query`: text on SQLite and MySQL, already parsed from PostgreSQL's jsonb. */
export function storedJson<T = unknown>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
