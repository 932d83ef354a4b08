import { SpineError } from '../errors/spine-error';
import type { Partition } from '../context/workflow-context';

/**
 * How long the identifiers a run is recorded under may be, the same for every store (the SQL
 * columns hold 255 characters; run ids leave room for their map items' ids, which extend them).
 */
export const RECORD_LIMITS = {
  runId: 200,
  idempotencyKey: 255,
  batchId: 255,
  traceId: 255,
  captureId: 255,
  asOfDate: 32,
  partitionKey: 512,
  /** Workflow, step and domain names. */
  name: 255,
  /** Map steps inside map items' workflows, counted from the top-level run. */
  mapDepth: 8,
} as const;

/** A stable text key of a partition for look-ups ('tier=OTC|week_ending=2026-01-09'). */
export function partitionKey(partition: Partition | null): string | null {
  if (partition === null) return null;
  return Object.keys(partition)
    .sort()
    .map((key) => `${key}=${partition[key]}`)
    .join('|');
}

/** What a run is started with, as far as its recorded identifiers go. */
export interface RunIdentifiers {
  readonly runId?: string;
  readonly idempotencyKey?: string | null;
  readonly batchId?: string | null;
  readonly traceId?: string;
  readonly captureId?: string | null;
  readonly asOfDate?: string | null;
  readonly partition?: Partition | null;
}

/** Throws one error naming every identifier of a run to be started that is longer than its limit. */
export function assertWithinLimits(workflow: string, ids: RunIdentifiers): void {
  const problems: string[] = [];
  const check = (field: string, value: string | null | undefined, limit: number, why = ''): void => {
    if (value === null || value === undefined) return;
    if (typeof value !== 'string') problems.push(`${field} must be a string (got ${typeof value})`);
    else if (value.trim() === '') problems.push(`${field} is empty; give a non-empty value or leave it out`);
    else if (value.length > limit) problems.push(`${field} is ${value.length} characters; at most ${limit} are allowed${why}`);
  };
  check('runId', ids.runId, RECORD_LIMITS.runId, " (the store's column holds 255 and map items' run ids extend their run's)");
  check('idempotencyKey', ids.idempotencyKey, RECORD_LIMITS.idempotencyKey);
  check('batchId', ids.batchId, RECORD_LIMITS.batchId);
  check('traceId', ids.traceId, RECORD_LIMITS.traceId);
  check('captureId', ids.captureId, RECORD_LIMITS.captureId);
  check('asOfDate', ids.asOfDate, RECORD_LIMITS.asOfDate);
  check('partition (as key=value|…)', partitionKey(ids.partition ?? null), RECORD_LIMITS.partitionKey);
  if (problems.length > 0) {
    throw new SpineError('limit-exceeded', `A run of workflow "${workflow}" cannot be recorded: ${problems.join('; ')}. Nothing was recorded.`);
  }
}
