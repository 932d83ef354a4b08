import { SpineError } from '../errors/spine-error';

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Throws when a record to be merged has a key that could reach an object's prototype. */
export function assertSafeKeys(record: Readonly<Record<string, unknown>>, what: string): void {
  for (const key of Object.keys(record)) {
    if (UNSAFE_KEYS.has(key)) {
      throw new SpineError(
        'unsafe-key',
        `${what} has the key "${key}"; the keys __proto__, constructor and prototype are never merged. Rename it.`,
      );
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
