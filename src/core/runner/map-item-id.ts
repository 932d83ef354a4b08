import { createHash } from 'node:crypto';

/** Longest run id a store keeps (its column). */
const STORED_RUN_ID_LENGTH = 255;

/**
 * The run id of a map item: `<step idempotency key>:<index>`, which starts with the top-level
 * run's id; when that is longer than a store keeps, `<top-level run id>:~<hash of it>` instead.
 */
export function mapItemRunId(stepKey: string, index: number, rootRunId: string): string {
  const natural = `${stepKey}:${index}`;
  if (natural.length <= STORED_RUN_ID_LENGTH) return natural;
  return `${rootRunId}:~${createHash('sha256').update(natural).digest('base64url').slice(0, 32)}`;
}
