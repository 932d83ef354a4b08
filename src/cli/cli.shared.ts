import { errorClassOf } from '../core/errors/error-class';
import { SpineError } from '../core/errors/spine-error';
import { SpineValidationError } from '../core/errors/spine-validation.error';
import type { RunEvent } from '../core/runner/run-event';
import type { Spine } from '../spine/spine';
import { SpineStartupError } from '../spine/spine-startup.error';
import type { SpineOptions } from '../spine/spine.options';
import { CliError } from './cli.error';
import { loadConfig } from './config.loader';

/** What the program writes to and where it runs; tests pass their own. */
export interface CliIo {
  readonly cwd: string;
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
}

export interface GlobalOptions {
  readonly config?: string;
}

export const print = (io: CliIo, text: string): void => void io.stdout.write(`${text}\n`);
export const printJson = (io: CliIo, value: unknown): void => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** Starts a Spine from the config, runs `work` with it, and always closes it. */
/**
 * The Spine class, loaded when a command first needs it: `spine --help`, `<command> --help` and
 * usage errors answer without loading TypeORM, inversify and class-validator (most of a
 * command's start-up).
 */
export function spineClass(): typeof Spine {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use: `spine --help` does not load TypeORM
  return (require('../spine/spine') as typeof import('../spine/spine')).Spine;
}

export async function withSpine<T>(io: CliIo, global: GlobalOptions, extra: Partial<SpineOptions>, work: (spine: Spine) => Promise<T>, need: SpineNeed = 'workflows'): Promise<T> {
  const { options } = await loadConfig(io.cwd, global.config);
  const own = options.onEvent;
  const onEvent =
    extra.onEvent === undefined
      ? own
      : (event: RunEvent): void => {
          extra.onEvent!(event);
          own?.(event);
        };
  let spine: Spine;
  try {
    spine = await spineClass().create({ ...options, ...extra, onEvent });
  } catch (error) {
    if (error instanceof SpineStartupError && need === 'database') {
      // the command reads or writes what the database holds: the workflows' problems are a warning, not an exit
      io.stderr.write(`spine: warning: the workflows could not be loaded, so this shows what the database holds:\n${error.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      spine = await spineClass().create({ ...options, ...extra, onEvent, ...DATABASE_ONLY });
    } else if (error instanceof SpineStartupError) throw new CliError(`${error.message}\nFix the workflows or the config, then try again.`);
    else if (error instanceof SpineError && error.kind === 'invalid-argument') throw new CliError(error.message);
    else throw error;
  }
  return useSpine(spine, work);
}

/** What a command needs of the config: its workflows (to run or list them), or only its database (runs, show, cancel, signal…). */
export type SpineNeed = 'workflows' | 'database';

/** A Spine of the config's database without its workflows, schedules or workers: what read and decision commands need. */
const DATABASE_ONLY: Partial<SpineOptions> = { discover: [], workflows: [], pipelines: [], handlers: [], schedules: [], worker: false, recoverOnStart: false };

/** Does the command's work with a Spine, then closes it and the DataSource the config made. */
async function useSpine<T>(spine: Spine, work: (spine: Spine) => Promise<T>): Promise<T> {
  try {
    return await work(spine);
  } finally {
    await spine.close();
    // a DataSource the config made is the config's, but nobody else will close it in this process
    if (spine.dataSource?.isInitialized) await spine.dataSource.destroy();
  }
}

/** Turns what the framework throws at a command into a usage error where the user must change something. */
export function asUsageError(error: unknown): unknown {
  if (error instanceof SpineValidationError) return new CliError(`${error.message}\nFix the params (--param field=value) and run again.`);
  if (error instanceof SpineError && errorClassOf(error.kind).usage) {
    return new CliError(error.message);
  }
  return error;
}

/** `withSpine` for a command that needs only the config's database (runs, show, cancel, signal, approve, queues, workers): broken workflows are a warning. */
export function withDatabase<T>(io: CliIo, global: GlobalOptions, extra: Partial<SpineOptions>, work: (spine: Spine) => Promise<T>): Promise<T> {
  return withSpine(io, global, extra, work, 'database');
}
