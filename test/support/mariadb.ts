import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';

const run = promisify(execFile);

/** A throwaway MariaDB server on a loopback port, for tests. */
export interface ThrowawayMariaDb {
  /** mysql://spine:spine@127.0.0.1:PORT/ (a user that may create databases). */
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const MARIADBD = ['/usr/sbin/mariadbd', '/usr/bin/mariadbd'].find((path) => existsSync(path));

/** True when a MariaDB server binary is installed here. */
export function mariaDbInstalled(): boolean {
  return MARIADBD !== undefined;
}

/** Initialises a data directory in a temp folder, starts mariadbd on a free loopback port, creates a test user; `extraArgs` go to mariadbd. */
export async function startMariaDb(extraArgs: readonly string[] = []): Promise<ThrowawayMariaDb> {
  if (MARIADBD === undefined) throw new Error('mariadbd is not installed (apt-get install mariadb-server)');
  const dir = mkdtempSync(join(tmpdir(), 'spine-mariadb-'));
  const user = userInfo().username;
  const socket = join(dir, 'mysqld.sock');
  await run('mariadb-install-db', ['--no-defaults', `--datadir=${dir}/data`, `--user=${user}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve']);
  const port = await freePort();
  const child: ChildProcess = spawn(
    MARIADBD,
    [
      '--no-defaults',
      `--user=${user}`,
      `--datadir=${dir}/data`,
      '--bind-address=127.0.0.1',
      `--port=${port}`,
      `--socket=${socket}`,
      `--pid-file=${dir}/mysqld.pid`,
      `--log-error=${dir}/error.log`,
      '--skip-name-resolve',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=128M',
      '--innodb-flush-log-at-trx-commit=1',
      '--character-set-server=utf8mb4',
      '--max-connections=200',
      ...extraArgs,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await run('mariadb-admin', ['--no-defaults', `--socket=${socket}`, '-uroot', 'ping']);
      break;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`mariadbd did not start (see ${dir}/error.log): ${(error as Error).message}`, { cause: error });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await run('mariadb', [
    '--no-defaults',
    `--socket=${socket}`,
    '-uroot',
    '-e',
    "CREATE USER 'spine'@'127.0.0.1' IDENTIFIED BY 'spine'; GRANT ALL PRIVILEGES ON *.* TO 'spine'@'127.0.0.1'; FLUSH PRIVILEGES;",
  ]);
  return {
    url: `mysql://spine:spine@127.0.0.1:${port}/`,
    pid: child.pid!,
    async stop() {
      await run('mariadb-admin', ['--no-defaults', `--socket=${socket}`, '-uroot', 'shutdown']).catch(() => child.kill('SIGKILL'));
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
