import { execFile } from 'node:child_process';

/** How a process ended and what it printed. */
export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs an executable as a user would: a real process in `cwd`, output piped, SPINE_DATABASE_URL cleared unless `env` sets it. */
export function exec(file: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, encoding: 'utf8', env: { ...process.env, SPINE_DATABASE_URL: '', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}
