/** The `spine` command line, for embedding it (the executable is `dist/cli/main.js`). */
export { runCli, buildProgram } from './cli.program';
export type { CliIo } from './cli.shared';
export { CliError, ExitCode } from './cli.error';
export { loadConfig, findConfig, CONFIG_FILES, type LoadedConfig } from './config.loader';
export { ProgressReporter, type ProgressMode } from './progress.reporter';
export { formatDuration } from './run.format';
