import { mariaDbInstalled, startMariaDb } from '../test/support/mariadb';

/**
 * A MariaDB server for a benchmark: SPINE_TEST_MYSQL_URL when set, else a throwaway server on a
 * loopback port (stopped by `stop`); null when neither is available.
 */
export async function benchMariaDb(): Promise<{ readonly url: string; stop(): Promise<void> } | null> {
  const given = process.env.SPINE_TEST_MYSQL_URL;
  if (given) return { url: given, stop: async () => undefined };
  if (!mariaDbInstalled()) return null;
  const server = await startMariaDb();
  return { url: server.url, stop: () => server.stop() };
}

/** What a benchmark row says when MariaDB is not measured. */
export const MARIADB_NOT_MEASURED = 'MariaDB: not measured (mariadbd not installed; set SPINE_TEST_MYSQL_URL)';
