import type { Container } from 'inversify';
import { SpineError } from '../core/errors/spine-error';
import type { PipelineHandler, PipelineLookup } from '../core/pipeline/pipeline.types';
import type { Constructor } from '../decorators/decorator-metadata';

/** Finds `@Pipeline` classes by name and resolves them from the container on each dispatch. */
export class ContainerPipelineLookup implements PipelineLookup {
  constructor(
    private readonly container: Container,
    private readonly types: ReadonlyMap<string, Constructor>,
  ) {}

  get(name: string): PipelineHandler | undefined {
    const type = this.types.get(name);
    if (type === undefined) return undefined;
    const handler = this.container.get(type as never) as Partial<PipelineHandler>;
    if (typeof handler?.run !== 'function') {
      throw new SpineError('invalid-definition', `Pipeline "${name}" (class ${type.name}) has no run(params, ctx) method.`);
    }
    return handler as PipelineHandler;
  }

  has(name: string): boolean {
    return this.types.has(name);
  }

  names(): readonly string[] {
    return [...this.types.keys()].sort();
  }
}

/** Several lookups as one: the first that knows a name answers. */
export class CompositePipelineLookup implements PipelineLookup {
  constructor(private readonly lookups: readonly PipelineLookup[]) {}

  get(name: string): PipelineHandler | undefined {
    for (const lookup of this.lookups) if (lookup.has(name)) return lookup.get(name);
    return undefined;
  }

  has(name: string): boolean {
    return this.lookups.some((lookup) => lookup.has(name));
  }

  names(): readonly string[] {
    return [...new Set(this.lookups.flatMap((lookup) => lookup.names()))].sort();
  }
}
