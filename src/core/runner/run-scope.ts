import type { RunScope } from '../definition/step-definition';

/** A run's scope: a map of per-run values, made on first use. */
export class LazyRunScope implements RunScope {
  private values: Map<object, unknown> | null = null;

  getOrCreate<T>(key: object, create: () => T): T {
    this.values ??= new Map();
    if (this.values.has(key)) return this.values.get(key) as T;
    const value = create();
    this.values.set(key, value);
    return value;
  }
}
