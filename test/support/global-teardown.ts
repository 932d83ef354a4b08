import type { ThrowawayMariaDb } from './mariadb';

/** Stops the throwaway MariaDB the global setup started, if any. */
export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __spineMariaDb?: ThrowawayMariaDb }).__spineMariaDb;
  if (server !== undefined) await server.stop();
}
