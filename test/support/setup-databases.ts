import { mariaDbInstalled, startMariaDb } from './mariadb';
import { postgresInstalled, startPostgres } from './postgres';

/**
 * Starts a throwaway MariaDB for the MySQL suites unless SPINE_TEST_MYSQL_URL already names a
 * server (an earlier project's setup in the same run sets it: one server per run); says in one
 * line when the suites cannot run and how to enable them.
 */
export default async function setupDatabases(): Promise<void> {
  await setupMariaDb();
  await setupPostgres();
}

async function setupMariaDb(): Promise<void> {
  if (process.env.SPINE_TEST_MYSQL_URL) {
    if ((globalThis as { __spineMariaDb?: unknown }).__spineMariaDb !== undefined) return;
    console.log(`\nMySQL suite: using SPINE_TEST_MYSQL_URL (${process.env.SPINE_TEST_MYSQL_URL.replace(/:[^:@/]*@/, ':***@')})`);
    return;
  }
  if (process.env.SPINE_TEST_MYSQL === 'off') {
    console.log('\nMySQL suite NOT RUN: SPINE_TEST_MYSQL=off. Unset it to run the persistence and example suites on MariaDB too.');
    return;
  }
  if (!mariaDbInstalled()) {
    if (process.env.SPINE_REQUIRE_MYSQL === '1') {
      throw new Error('SPINE_REQUIRE_MYSQL=1 but mariadbd is not installed: apt-get install mariadb-server, or set SPINE_TEST_MYSQL_URL');
    }
    console.log('\nMySQL suite NOT RUN: mariadbd is not installed. Install it (apt-get install mariadb-server) or set SPINE_TEST_MYSQL_URL=mysql://user:pass@127.0.0.1:3306/');
    return;
  }
  const started = Date.now();
  const server = await startMariaDb();
  (globalThis as { __spineMariaDb?: typeof server }).__spineMariaDb = server;
  process.env.SPINE_TEST_MYSQL_URL = server.url;
  console.log(`\nMySQL suite: started a throwaway MariaDB (pid ${server.pid}) in ${Date.now() - started} ms at ${server.url}`);
}

/**
 * Starts a throwaway PostgreSQL cluster (initdb and postgres as the `postgres` OS user when run
 * as root) unless SPINE_TEST_POSTGRES_URL already names a server; as for MariaDB, one per run.
 */
async function setupPostgres(): Promise<void> {
  if (process.env.SPINE_TEST_POSTGRES_URL) {
    if ((globalThis as { __spinePostgres?: unknown }).__spinePostgres !== undefined) return;
    console.log(`PostgreSQL suite: using SPINE_TEST_POSTGRES_URL (${process.env.SPINE_TEST_POSTGRES_URL.replace(/:[^:@/]*@/, ':***@')})`);
    return;
  }
  if (process.env.SPINE_TEST_POSTGRES === 'off') {
    console.log('PostgreSQL suite NOT RUN: SPINE_TEST_POSTGRES=off. Unset it to run the persistence, contract and chaos suites on PostgreSQL too.');
    return;
  }
  if (!postgresInstalled()) {
    if (process.env.SPINE_REQUIRE_POSTGRES === '1') {
      throw new Error('SPINE_REQUIRE_POSTGRES=1 but PostgreSQL is not installed: apt-get install postgresql, or set SPINE_TEST_POSTGRES_URL');
    }
    console.log('PostgreSQL suite NOT RUN: PostgreSQL is not installed. Install it (apt-get install postgresql) or set SPINE_TEST_POSTGRES_URL=postgres://user:pass@127.0.0.1:5432/postgres');
    return;
  }
  const started = Date.now();
  const server = await startPostgres();
  (globalThis as { __spinePostgres?: typeof server }).__spinePostgres = server;
  process.env.SPINE_TEST_POSTGRES_URL = server.url;
  console.log(`PostgreSQL suite: started a throwaway cluster (pid ${server.pid}) in ${Date.now() - started} ms at ${server.url}`);
}
