import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { createSpineDataSource, mysqlOptions, runMigrationsExclusively, sqliteOptions } from '../../src/persistence';

/** A fresh database of one driver with spine's schema migrated, and how to throw it away. */
export interface TestDatabase {
  readonly driver: 'sqlite' | 'mariadb';
  readonly dataSource: DataSource;
  /** Another DataSource on the same database (a second process, in effect). */
  open(): Promise<DataSource>;
  drop(): Promise<void>;
}

/** The drivers the persistence suite runs on here: SQLite always, MariaDB when a server is available. */
export function testDrivers(): ('sqlite' | 'mariadb')[] {
  return process.env.SPINE_TEST_MYSQL_URL ? ['sqlite', 'mariadb'] : ['sqlite'];
}

/** Tables an application adds beside spine's (an example's domain tables). */
export interface ExtraSchema {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly entities: readonly Function[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly migrations: readonly Function[];
}

/** Creates a database for one test file: a temp SQLite file, or a new MariaDB database; migrated. */
export async function createTestDatabase(driver: 'sqlite' | 'mariadb', extra: readonly ExtraSchema[] = []): Promise<TestDatabase> {
  const { options: base, cleanup } = driver === 'sqlite' ? sqliteDatabase() : await mariaDbDatabase();
  const options = { ...base, entities: extra.flatMap((e) => e.entities), migrations: extra.flatMap((e) => e.migrations) } as DataSourceOptions;
  const open = async () => createSpineDataSource(options).initialize();
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
export function useTestDatabase(driver: 'sqlite' | 'mariadb', extra: readonly ExtraSchema[] = []): () => TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(driver, extra);
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });
  return () => db!;
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

/**
 * A describe block that needs MySQL/MariaDB: registered when a server is available, otherwise
 * left out (the test set-up has printed that the MySQL suite did not run, and how to enable it).
 */
export function describeOnMariaDb(name: string, body: () => void): void {
  if (process.env.SPINE_TEST_MYSQL_URL) describe(name, body);
}
