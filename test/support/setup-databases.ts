import { mariaDbInstalled, startMariaDb } from './mariadb';

/**
 * Starts a throwaway MariaDB for the MySQL suites unless SPINE_TEST_MYSQL_URL already names a
 * server (an earlier project's setup in the same run sets it: one server per run); says in one
 * line when the suites cannot run and how to enable them.
 */
export default async function setupDatabases(): Promise<void> {
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
