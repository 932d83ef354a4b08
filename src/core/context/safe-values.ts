import { SpineError } from '../errors/spine-error';

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A path for messages: `params.source.__proto__`, `params.items[2].constructor`. */
function pathOf(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/**
 * Throws when a record to be merged holds, at any depth, a key that could reach an object's
 * prototype (`__proto__`, `constructor`, `prototype`) or a Symbol key (JSON and the store would
 * drop it silently); the message names the path. Walks plain objects and arrays without
 * recursion, each once (a value shared or cyclic is not walked twice).
 */
export function assertSafeKeys(record: Readonly<Record<string, unknown>>, what: string): void {
  // the common case, a flat record (the hot path: a step's context updates, an item's params): one pass, nothing allocated
  let walk = false;
  for (const key in record) {
    const value = record[key];
    if (UNSAFE_KEYS.has(key) || (value !== null && typeof value === 'object')) {
      walk = true;
      break;
    }
  }
  if (!walk && Object.getOwnPropertySymbols(record).length === 0) return;
  const pending: [unknown, string][] = [[record, what]];
  const seen = new Set<object>();
  while (pending.length > 0) {
    const [value, path] = pending.pop()!;
    if (value === null || typeof value !== 'object' || seen.has(value) || !isPlainContainer(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) if (value[i] !== null && typeof value[i] === 'object') pending.push([value[i], pathOf(path, i)]);
      continue;
    }
    const symbols = Object.getOwnPropertySymbols(value);
    if (symbols.length > 0) {
      throw new SpineError('unsafe-key', `${path} has the Symbol key ${String(symbols[0])}; params and context values are JSON, which has no Symbol keys. Use a string key.`);
    }
    for (const key of Object.keys(value)) {
      if (UNSAFE_KEYS.has(key)) {
        throw new SpineError('unsafe-key', `${pathOf(path, key)}: the keys __proto__, constructor and prototype are never merged, at any depth. Rename it.`);
      }
      const child = (value as Record<string, unknown>)[key];
      if (child !== null && typeof child === 'object') pending.push([child, pathOf(path, key)]);
    }
  }
}

/** True for `{}` literals, `Object.create(null)` and arrays: the values the framework freezes. */
function isPlainContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Freezes plain objects and arrays in place, deeply; class instances (Date, Map, Buffer…) are left alone. */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value) || !isPlainContainer(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

/** True for a non-null, non-array object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
