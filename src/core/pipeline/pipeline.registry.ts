import { SpineError } from '../errors/spine-error';
import type { PipelineFunction, PipelineHandler, PipelineLookup } from './pipeline.types';

interface Registration {
  readonly handler: PipelineHandler;
  readonly registeredAt: string;
}

/** Pipelines by name. A name is registered once unless `{ replace: true }`. */
export class PipelineRegistry implements PipelineLookup {
  private readonly registrations = new Map<string, Registration>();

  /** Registers a pipeline function or an object with `run`. */
  register(name: string, handler: PipelineFunction | PipelineHandler, options: { replace?: boolean } = {}): this {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new SpineError('invalid-argument', 'A pipeline needs a non-empty name.');
    }
    const normalized = toHandler(name, handler);
    const previous = this.registrations.get(name);
    if (previous !== undefined && options.replace !== true) {
      throw new SpineError('duplicate-pipeline', `Pipeline "${name}" is already registered (first at ${previous.registeredAt}). ` + 'Use another name, or pass { replace: true } to replace it.');
    }
    this.registrations.set(name, { handler: normalized, registeredAt: callerSite() });
    return this;
  }

  /** The handler registered under `name`, if any. */
  get(name: string): PipelineHandler | undefined {
    return this.registrations.get(name)?.handler;
  }

  /** True when `name` is registered. */
  has(name: string): boolean {
    return this.registrations.has(name);
  }

  /** Every registered name, sorted. */
  names(): readonly string[] {
    return [...this.registrations.keys()].sort();
  }
}

function toHandler(name: string, handler: PipelineFunction | PipelineHandler): PipelineHandler {
  if (typeof handler === 'function') return { run: handler };
  if (handler !== null && typeof handler === 'object' && typeof handler.run === 'function') return handler;
  throw new SpineError('invalid-argument', `Pipeline "${name}" must be a function or an object with a run() method.`);
}

/** "file:line" of the code that called `register`, for duplicate-registration messages. */
function callerSite(): string {
  const lines = (new Error().stack ?? '').split('\n').slice(1);
  const outside = lines.find((line) => !line.includes(__filename));
  return outside?.trim().replace(/^at\s+/, '') ?? 'unknown location';
}
