import type { ThrowawayMariaDb } from './mariadb';
import type { ThrowawayPostgres } from './postgres';

/** Stops the throwaway MariaDB and PostgreSQL the global setup started, if any. */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as { __spineMariaDb?: ThrowawayMariaDb; __spinePostgres?: ThrowawayPostgres };
  const servers = [holder.__spineMariaDb, holder.__spinePostgres];
  // each project names this teardown: the first stops the servers, the others find none
  holder.__spineMariaDb = undefined;
  holder.__spinePostgres = undefined;
  await Promise.all(servers.map((server) => server?.stop()));
}
