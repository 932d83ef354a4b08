/** Exit codes of the `spine` command. */
export const ExitCode = {
  /** The command did what was asked; a run completed. */
  OK: 0,
  /** A run failed, stopped or was cancelled (or something unexpected broke). */
  RUN_FAILED: 1,
  /** Usage or configuration error: bad arguments, params, config, unknown workflow or run. */
  USAGE: 2,
} as const;

/** A mistake of the user's (arguments, config, names) that the command line reports and exits 2 on. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: number = ExitCode.USAGE,
  ) {
    super(message);
  }
}
