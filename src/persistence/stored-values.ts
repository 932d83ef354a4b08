import { SpineError } from '../core/errors/spine-error';
import { encodeForStorage, formatBytes } from './json-codec';
import type { SqlClient } from './sql-client';

/** Room a step row's other columns take in a statement beside its output and context updates. */
const ROW_OVERHEAD_BYTES = 64 * 1024;
/** Longest error text kept (MySQL's TEXT column holds 64 KiB). */
const MAX_ERROR_CHARS = 16_000;

/**
 * Encodes what a step stores (outputs, context updates, params) once, checks it before the write
 * and caches the JSON for it. On MySQL/MariaDB a step row travels in one packet: the server's
 * `max_allowed_packet` (read once, at start) bounds an output and its updates together, so an
 * output the server would refuse fails its step cleanly instead of failing every write of it.
 */
export class StoredValues {
  private readonly encoded = new WeakMap<object, string>();
  private packetBytes: number | null = null;
  /** Resolves once the server's packet limit is known (at once where there is none). */
  readonly ready: Promise<void>;

  constructor(
    private readonly maxOutputBytes: number,
    server: SqlClient | null,
  ) {
    this.ready =
      server === null
        ? Promise.resolve()
        : server
            .all('SELECT @@max_allowed_packet AS packet')
            .then(([row]) => {
              const packet = Number(row?.packet);
              if (Number.isFinite(packet) && packet > 0) this.packetBytes = packet;
            })
            .catch(() => undefined);
  }

  /** Why a step's output or context updates cannot be stored (null when they can); their JSON is kept for the write. */
  check(step: string, output: unknown, contextUpdates: unknown): string | null {
    let bytes = 0;
    for (const [value, what] of [
      [output, `the output of step "${step}"`],
      [contextUpdates, `the context updates of step "${step}"`],
    ] as const) {
      if (value === null || typeof value !== 'object') continue;
      let json = this.encoded.get(value);
      if (json === undefined) {
        const encoded = encodeForStorage(value, what, this.maxOutputBytes);
        if ('problem' in encoded) return encoded.problem;
        json = encoded.json;
        this.encoded.set(value, json);
      }
      if (this.packetBytes !== null) bytes += Buffer.byteLength(json, 'utf8');
    }
    // escaping at most doubles the text: count escapes only when that could matter
    if (this.packetBytes !== null && 2 * bytes + ROW_OVERHEAD_BYTES > this.packetBytes) bytes = this.escapedSize(output) + this.escapedSize(contextUpdates);
    if (this.packetBytes !== null && bytes + ROW_OVERHEAD_BYTES > this.packetBytes) {
      return (
        `the output of step "${step}" (with its context updates) takes ${formatBytes(bytes)} in its SQL statement, over the database ` +
        `server's max_allowed_packet of ${formatBytes(this.packetBytes)}; store large data elsewhere and return a reference, or raise max_allowed_packet`
      );
    }
    return null;
  }

  private escapedSize(value: unknown): number {
    const json = value !== null && typeof value === 'object' ? this.encoded.get(value) : undefined;
    return json === undefined ? 0 : escapedBytes(json);
  }

  /** JSON of a value the runner already checked (cached), or checked now; throws `unserializable-value` when it cannot be stored. */
  json(value: unknown, what: string): string {
    if (value !== null && typeof value === 'object') {
      const cached = this.encoded.get(value);
      if (cached !== undefined) return cached;
    }
    const encoded = encodeForStorage(value, what, this.maxOutputBytes);
    if ('problem' in encoded) throw new SpineError('unserializable-value', encoded.problem);
    return encoded.json;
  }

  /** An error text as it is stored: at most 16,000 characters. */
  clip(text: string | null): string | null {
    return text === null || text.length <= MAX_ERROR_CHARS ? text : `${text.slice(0, MAX_ERROR_CHARS)}… (${text.length - MAX_ERROR_CHARS} more characters cut)`;
  }
}

/** Bytes a JSON text takes in a statement once mysql2 has escaped it (quotes and backslashes doubled up). */
function escapedBytes(json: string): number {
  const bytes = Buffer.byteLength(json, 'utf8');
  let escapes = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 34 || c === 92 || c === 39 || c === 0 || c === 10 || c === 13 || c === 26) escapes++;
  }
  return bytes + escapes;
}
