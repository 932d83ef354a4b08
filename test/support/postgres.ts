import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';

const run = promisify(execFile);

/** A throwaway PostgreSQL cluster on a loopback port, for tests. */
export interface ThrowawayPostgres {
  /** postgres://spine:spine@127.0.0.1:PORT/postgres (a superuser that may create databases). */
  readonly url: string;
  /** The postmaster's pid (its backends are its children, in its process group). */
  readonly pid: number;
  /** Freezes the whole server — the postmaster and every backend (SIGSTOP to its process group) — or thaws it (SIGCONT). */
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

/** The newest Debian PostgreSQL binaries (`/usr/lib/postgresql/<major>/bin`), or undefined. */
function binaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length === 0 ? undefined : join(root, majors[0]!, 'bin');
}

const BIN = binaries();

/** True when PostgreSQL's server binaries are installed here. */
export function postgresInstalled(): boolean {
  return BIN !== undefined;
}

/** PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` OS user (Debian's package creates it). */
function clusterOwner(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (line === undefined) throw new Error('running as root and there is no "postgres" OS user to own the test cluster (apt-get install postgresql creates it)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Initialises a cluster in a temp folder (initdb), starts `postgres` on a free loopback port (no
 * systemd, no pg_ctlcluster), creates the `spine` superuser; `settings` are extra `-c name=value`.
 */
export async function startPostgres(settings: readonly string[] = []): Promise<ThrowawayPostgres> {
  if (BIN === undefined) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const owner = clusterOwner();
  const dir = mkdtempSync(join(tmpdir(), 'spine-postgres-'));
  const data = join(dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  if (owner !== null) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(data, owner.uid, owner.gid);
  }
  const as = owner === null ? {} : { uid: owner.uid, gid: owner.gid };
  await run(join(BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale'], { ...as, env: { ...process.env, LC_ALL: 'C' } });
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(BIN, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=300',
      '-c',
      'shared_buffers=128MB',
      '-c',
      `log_directory=${dir}`,
      '-c',
      'logging_collector=off',
      ...settings.flatMap((s) => ['-c', s]),
    ],
    // a process group of its own: the backends it forks are in it, so a freeze reaches them all
    { ...as, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
  );
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (log.length < 64_000) log += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await run(join(BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres']);
      break;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`postgres did not start: ${log.slice(-2000) || (error as Error).message}`, { cause: error });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', "CREATE ROLE spine LOGIN SUPERUSER PASSWORD 'spine'"]);
  return {
    url: `postgres://spine:spine@127.0.0.1:${port}/postgres`,
    pid: child.pid!,
    freeze: () => process.kill(-child.pid!, 'SIGSTOP'),
    thaw: () => process.kill(-child.pid!, 'SIGCONT'),
    async stop() {
      if (child.exitCode === null) {
        process.kill(-child.pid!, 'SIGCONT');
        child.kill('SIGINT'); // fast shutdown: rolls back open transactions, disconnects clients
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
