import { Client } from 'pg';
import { postgresInstalled, startPostgres } from '../test/support/postgres';

/**
 * A PostgreSQL database `name` for a benchmark, made afresh: on SPINE_TEST_POSTGRES_URL's server
 * when set, else on a throwaway cluster on a loopback port (stopped by `stop`); null when neither
 * is available.
 */
export async function benchPostgres(name: string): Promise<{ readonly url: string; stop(): Promise<void> } | null> {
  const given = process.env.SPINE_TEST_POSTGRES_URL;
  const server = given ? { url: given, stop: async () => undefined } : postgresInstalled() ? await startPostgres() : null;
  if (server === null) return null;
  const admin = new Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: server.url.replace(/\/[^/]*$/, `/${name}`),
    async stop() {
      const cleanup = new Client({ connectionString: server.url });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
      await server.stop();
    },
  };
}

/** What a benchmark row says when PostgreSQL is not measured. */
export const POSTGRES_NOT_MEASURED = 'PostgreSQL: not measured (not installed; set SPINE_TEST_POSTGRES_URL)';
