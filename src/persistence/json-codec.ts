import { SpineError } from '../core/errors/spine-error';

/** Default upper bound of one stored output (16 MiB). */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/**
 * JSON text of a value to store, or a sentence saying why it cannot be stored: BigInt, functions,
 * symbols and cycles are refused (JSON would drop or reject them), and so is text over `maxBytes`.
 */
export function encodeForStorage(value: unknown, what: string, maxBytes: number): { json: string } | { problem: string } {
  let json: string;
  try {
    json =
      JSON.stringify(value, function check(this: unknown, key: string, item: unknown) {
        const kind = typeof item;
        if (kind === 'bigint' || kind === 'function' || kind === 'symbol') {
          throw new SpineError('unserializable-value', `a ${kind} at key "${key}" cannot be stored as JSON`);
        }
        return item;
      }) ?? 'null';
  } catch (error) {
    const reason = error instanceof SpineError ? error.message : /circular/i.test(String((error as Error).message)) ? 'it contains a cycle' : (error as Error).message;
    return { problem: `${what} cannot be stored: ${reason}. Return plain data (strings, numbers, booleans, arrays, objects; BigInt as string).` };
  }
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) {
    return { problem: `${what} is ${formatBytes(bytes)}, over the ${formatBytes(maxBytes)} limit (maxOutputBytes); store large data elsewhere and return a reference.` };
  }
  return { json };
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/** Parses stored JSON (mysql2 may hand back parsed objects already). */
export function decodeStored<T>(value: unknown): T | null {
  if (value === null || value === undefined) return null;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** A UTC datetime as both drivers store it: 'YYYY-MM-DD HH:MM:SS.SSS'. */
export function toSqlDatetime(date: Date | number): string {
  return new Date(date).toISOString().replace('T', ' ').replace('Z', '');
}

/** A stored datetime back as a Date (SQLite hands back text, mysql2 a Date). */
export function fromSqlDatetime(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(text.includes('T') ? text : `${text.replace(' ', 'T')}Z`);
}
