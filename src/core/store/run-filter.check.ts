import { SpineError } from '../errors/spine-error';
import { RUN_STATUSES, type RunFilter, type RunStatus } from './records/run-record';
import { TRIGGER_SOURCES, type TriggerSource } from '../schedule/trigger';

/** The most runs one listing returns. */
export const MAX_LIST_LIMIT = 100_000;

const KNOWN_FIELDS = new Set<string>(['workflow', 'status', 'batchId', 'since', 'limit', 'parentRunId', 'includeChildren', 'trigger', 'partition', 'until', 'before']);

function isValidDate(value: unknown): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

/**
 * Throws one `invalid-argument` error listing every field of a run filter that a store could not
 * answer correctly (a NaN limit, an invalid date, an unknown status, a misspelt field), before any
 * query is made.
 */
export function assertRunFilter(filter: unknown, where = 'listRuns'): asserts filter is RunFilter {
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) {
    throw new SpineError(
      'invalid-argument',
      `${where}: the filter must be an object such as { workflow: 'x', limit: 50 } (got ${filter === null ? 'null' : Array.isArray(filter) ? 'an array' : typeof filter}).`,
    );
  }
  const f = filter as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = Object.keys(f).filter((key) => !KNOWN_FIELDS.has(key));
  if (unknown.length > 0) problems.push(`unknown field${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')} (the fields are ${[...KNOWN_FIELDS].join(', ')})`);
  if (f.limit !== undefined && !(Number.isSafeInteger(f.limit) && (f.limit as number) >= 1 && (f.limit as number) <= MAX_LIST_LIMIT)) {
    problems.push(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT} (got ${String(f.limit)})`);
  }
  for (const field of ['since', 'until'] as const) {
    if (f[field] !== undefined && !isValidDate(f[field])) problems.push(`${field} must be a valid Date (got ${f[field] instanceof Date ? 'Invalid Date' : typeof f[field]})`);
  }
  for (const field of ['workflow', 'batchId', 'parentRunId', 'partition'] as const) {
    if (f[field] !== undefined && (typeof f[field] !== 'string' || f[field] === '')) problems.push(`${field} must be a non-empty string`);
  }
  if (f.status !== undefined) {
    const statuses = Array.isArray(f.status) ? (f.status as unknown[]) : [f.status];
    const bad = statuses.filter((s) => !RUN_STATUSES.includes(s as RunStatus));
    if (bad.length > 0 || statuses.length === 0) problems.push(`status must be one or more of ${RUN_STATUSES.join(', ')} (got ${JSON.stringify(f.status)})`);
  }
  if (f.trigger !== undefined && !TRIGGER_SOURCES.includes(f.trigger as TriggerSource)) problems.push(`trigger must be one of ${TRIGGER_SOURCES.join(', ')} (got ${JSON.stringify(f.trigger)})`);
  if (f.includeChildren !== undefined && typeof f.includeChildren !== 'boolean') problems.push('includeChildren must be true or false');
  if (f.before !== undefined) {
    const before = f.before as { startedAt?: unknown; runId?: unknown } | null;
    if (before === null || typeof before !== 'object' || !isValidDate(before.startedAt) || typeof before.runId !== 'string' || before.runId === '') {
      problems.push('before must be { startedAt: Date, runId: string } of the last run of the page before');
    }
  }
  if (problems.length > 0) throw new SpineError('invalid-argument', `${where}: ${problems.join('; ')}.`);
}
