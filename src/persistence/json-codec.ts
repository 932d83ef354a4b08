/** Default upper bound of one stored output (16 MiB). */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** Thrown inside `JSON.stringify` to stop at the first value JSON cannot carry as it is. */
const NOT_PLAIN = new Error('not plain JSON');

/**
 * Stops `JSON.stringify` at a value JSON would drop or change: BigInt, functions, symbols, NaN and
 * ±Infinity, `undefined` in an array, and objects that are not plain (Date, Map, Set, typed arrays,
 * class instances, objects with toJSON). `this[key]` is the value before `toJSON` ran.
 */
function plainOnly(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  switch (typeof raw) {
    case 'number':
      if (!Number.isFinite(raw)) throw NOT_PLAIN;
      break;
    case 'bigint':
    case 'function':
    case 'symbol':
      throw NOT_PLAIN;
    case 'undefined':
      if (Array.isArray(this)) throw NOT_PLAIN;
      break;
    case 'object':
      if (raw !== null && !Array.isArray(raw)) {
        const proto = Object.getPrototypeOf(raw);
        if ((proto !== Object.prototype && proto !== null) || typeof (raw as { toJSON?: unknown }).toJSON === 'function') throw NOT_PLAIN;
      }
      break;
  }
  return value;
}

/**
 * JSON text of a value to store, or a sentence saying why it cannot be stored as it is: what JSON
 * would drop or change (a Date becoming a string, a Map `{}`, NaN `null`, a class instance a plain
 * object) is refused with the path of the offending value, so a resumed run sees exactly what the
 * live one did; so is a cycle, and text over `maxBytes`.
 */
export function encodeForStorage(value: unknown, what: string, maxBytes: number): { json: string } | { problem: string } {
  let json: string;
  try {
    json = JSON.stringify(value, plainOnly) ?? 'null';
  } catch (error) {
    const found = error === NOT_PLAIN || /circular/i.test(String((error as Error).message)) ? findUnstorable(value, rootName(what)) : null;
    const reason = found ?? (error as Error).message;
    return { problem: `${what} cannot be stored: ${reason}. Return plain data (objects, arrays, strings, finite numbers, booleans, null).` };
  }
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) {
    return { problem: `${what} is ${formatBytes(bytes)}, over the ${formatBytes(maxBytes)} limit (maxOutputBytes); store large data elsewhere and return a reference.` };
  }
  return { json };
}

/** 'output', 'contextUpdates' or 'params': how paths in messages start. */
function rootName(what: string): string {
  if (what.includes('context updates')) return 'contextUpdates';
  if (what.includes('params')) return 'params';
  return 'output';
}

/** The first value in `value` that JSON cannot carry, as "<path> is <what it is> (<what to do>)". */
export function findUnstorable(value: unknown, root: string): string | null {
  const ancestors: object[] = [];
  const visit = (item: unknown, path: string, inArray: boolean): string | null => {
    const problem = describeUnstorable(item, inArray);
    if (problem !== null) return `${path} is ${problem}`;
    if (item === null || typeof item !== 'object') return null;
    const cycle = ancestors.indexOf(item);
    if (cycle >= 0) return `${path} refers back to an object that contains it (a cycle); JSON cannot hold cycles`;
    ancestors.push(item);
    try {
      if (Array.isArray(item)) {
        for (let i = 0; i < item.length; i++) {
          const found = visit(item[i], `${path}[${i}]`, true);
          if (found !== null) return found;
        }
      } else {
        for (const key of Object.keys(item)) {
          const found = visit((item as Record<string, unknown>)[key], `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`, false);
          if (found !== null) return found;
        }
      }
      return null;
    } finally {
      ancestors.pop();
    }
  };
  return visit(value, root, false);
}

function describeUnstorable(item: unknown, inArray: boolean): string | null {
  switch (typeof item) {
    case 'number':
      return Number.isFinite(item) ? null : `${String(item)}, which JSON stores as null (use null, or a string)`;
    case 'bigint':
      return 'a BigInt, which JSON cannot hold (use a string: value.toString())';
    case 'function':
      return 'a function, which JSON drops (return data, not behaviour)';
    case 'symbol':
      return 'a symbol, which JSON drops';
    case 'undefined':
      return inArray ? 'undefined in an array, which JSON stores as null (use null)' : null;
    case 'object': {
      if (item === null || Array.isArray(item)) return null;
      if (item instanceof Date) return 'a Date, which JSON turns into a string (store date.toISOString(), or its milliseconds)';
      if (item instanceof Map) return 'a Map, which JSON turns into {} (use a plain object: Object.fromEntries(map))';
      if (item instanceof Set) return 'a Set, which JSON turns into {} (use an array: [...set])';
      if (ArrayBuffer.isView(item)) return `a ${item.constructor.name}, which JSON turns into an object of numbers (encode binary data as base64 text)`;
      const proto = Object.getPrototypeOf(item);
      if (proto !== Object.prototype && proto !== null) {
        const name = (proto as { constructor?: { name?: string } }).constructor?.name || 'an unnamed class';
        return `an instance of ${name}, which comes back from JSON as a plain object without its class (return its fields as a plain object)`;
      }
      if (typeof (item as { toJSON?: unknown }).toJSON === 'function') return 'an object with a toJSON method, which JSON replaces by what toJSON returns (return that instead)';
      return null;
    }
    default:
      return null;
  }
}

/** A byte count for people: 512 bytes, 1.5 KiB, 16.0 MiB. */
export function formatBytes(bytes: number): string {
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
