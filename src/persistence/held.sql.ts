import type { HeldDefinitions } from '../core/store/records/held-definitions';

/** The SQL condition "held" on a run row (`workflow_hash`, `workflow_name`) and its values; `FALSE` when nothing is. */
export function heldCondition(held: HeldDefinitions, negate = false): { readonly sql: string; readonly values: readonly string[] } {
  const parts: string[] = [];
  if (held.hashes.length > 0) parts.push(`workflow_hash IN (${held.hashes.map(() => '?').join(', ')})`);
  if (held.anyOf.length > 0) parts.push(`workflow_name IN (${held.anyOf.map(() => '?').join(', ')})`);
  const sql = parts.length === 0 ? '1 = 0' : parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
  return { sql: negate ? `NOT ${parts.length === 1 ? `(${sql})` : sql}` : sql, values: [...held.hashes, ...held.anyOf] };
}
