import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { mariaDbInstalled, startMariaDb } from './mariadb';

/**
 * Starts a throwaway MariaDB for the MySQL suite unless SPINE_TEST_MYSQL_URL already names a
 * server; says in one line when the suite cannot run and how to enable it.
 */
export default async function globalSetup(): Promise<void> {
  // The end-to-end tests run the built package and examples: build once, before any worker starts.
  execFileSync('npm', ['run', '--silent', 'build:examples'], { cwd: join(__dirname, '..', '..'), stdio: 'inherit' });

  if (process.env.SPINE_TEST_MYSQL_URL) {
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
