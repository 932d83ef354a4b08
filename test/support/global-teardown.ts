import type { ThrowawayMariaDb } from './mariadb';

/** Stops the throwaway MariaDB the global setup started, if any. */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as { __spineMariaDb?: ThrowawayMariaDb };
  const server = holder.__spineMariaDb;
  // each project names this teardown: the first stops the server, the others find none
  holder.__spineMariaDb = undefined;
  if (server !== undefined) await server.stop();
}
