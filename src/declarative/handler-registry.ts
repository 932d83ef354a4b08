import type { LambdaHandler } from '../core/definition/step-definition';
import { SpineError } from '../core/errors/spine-error';

/** Finds lambda handlers by the name declarative workflows give them. */
export interface HandlerLookup {
  get(name: string): LambdaHandler | undefined;
  names(): readonly string[];
}

/**
 * Lambda handlers by name, for workflows defined in YAML or JSON (`handler: finra.validate`):
 * `new HandlerRegistry().handler('finra.validate', (ctx, config) => …)`. Pass it to
 * `Spine.create({ handlers: [registry] })` or `loadWorkflow(file, { handlers })`. Handlers on
 * injectable classes use `@Handler(name)` instead.
 */
export class HandlerRegistry implements HandlerLookup {
  private readonly entries = new Map<string, LambdaHandler>();

  /** Registers a handler; a name registered twice throws. Returns the registry (chainable). */
  handler(name: string, fn: LambdaHandler): this {
    if (typeof name !== 'string' || name.trim() === '') throw new SpineError('invalid-argument', 'HandlerRegistry.handler(name, fn): name must be a non-empty string.');
    if (typeof fn !== 'function') throw new SpineError('invalid-argument', `HandlerRegistry.handler("${name}", fn): fn must be a function (ctx, config, step) => result.`);
    if (this.entries.has(name)) throw new SpineError('invalid-argument', `The handler "${name}" is registered twice; give each handler its own name.`);
    this.entries.set(name, fn);
    return this;
  }

  get(name: string): LambdaHandler | undefined {
    return this.entries.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): readonly string[] {
    return [...this.entries.keys()].sort();
  }
}

/** Several lookups as one (the first that has a name wins; clashes are reported by whoever builds it). */
export class CompositeHandlerLookup implements HandlerLookup {
  constructor(private readonly lookups: readonly HandlerLookup[]) {}

  get(name: string): LambdaHandler | undefined {
    for (const lookup of this.lookups) {
      const found = lookup.get(name);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  names(): readonly string[] {
    return [...new Set(this.lookups.flatMap((l) => l.names()))].sort();
  }
}

/** No handlers at all. */
export const NO_HANDLERS: HandlerLookup = { get: () => undefined, names: () => [] };
