/** Structured fields of a log record: run id, step, trace id, workflow, worker, … */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Where spine says what it has to say (a glob that matched nothing, a recovered run, a worker's
 * failed claim, a listener that threw): `info/warn/error(fields, message)`, the shape of pino,
 * bunyan-style loggers and `SpineModule`'s Nest adapter. Records about a run carry `runId`,
 * `workflow`, `step` and `traceId`. Every field but `warn` is optional.
 */
export interface SpineLogger {
  info?(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error?(fields: LogFields, message: string): void;
}

function line(message: string, fields: LogFields): string {
  const shown = Object.entries(fields).filter(([, v]) => v !== undefined && v !== null);
  return `spine-orchestration: ${message}${shown.length === 0 ? '' : ` ${JSON.stringify(Object.fromEntries(shown))}`}`;
}

/** The default logger: one line per record on the console (the only place spine writes to it, the CLI aside). */
export const consoleLogger: SpineLogger = {
  info: (fields, message) => console.info(line(message, fields)),
  warn: (fields, message) => console.warn(line(message, fields)),
  error: (fields, message) => console.error(line(message, fields)),
};

/** Logs at info, or at warn for a logger without info. */
export function logInfo(logger: SpineLogger, fields: LogFields, message: string): void {
  if (logger.info !== undefined) logger.info(fields, message);
  else logger.warn(fields, message);
}

/** Logs at error, or at warn for a logger without error. */
export function logError(logger: SpineLogger, fields: LogFields, message: string): void {
  if (logger.error !== undefined) logger.error(fields, message);
  else logger.warn(fields, message);
}
