import type { ModuleRef } from '@nestjs/core';
import { ContextIdFactory } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { SpineError } from '../core/errors/spine-error';
import type { PipelineHandler, PipelineLookup, PipelineParams } from '../core/pipeline/pipeline.types';
import type { StepRuntime } from '../core/definition/step-definition';
import type { WorkflowContext } from '../core/context/workflow-context';
import type { Constructor } from '../decorators/decorator-metadata';
import type { ClassProvider, ClassRole } from '../spine/class-provider';

/** Whether Nest can hand out one shared instance (`get`) or must build one per use (`resolve`). */
function isScoped(wrapper: InstanceWrapper): boolean {
  return wrapper.isTransient || !wrapper.isDependencyTreeStatic();
}

/**
 * Decorated classes from Nest's module graph. Nest has built and checked them (and their
 * dependencies) before `onModuleInit`; a class Spine needs but no module provides is a problem.
 * Singleton providers are shared by every run; request-scoped and transient ones are resolved
 * once per run (each map item is a run), in a context of their own.
 */
export class NestClassProvider implements ClassProvider {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly wrappers: ReadonlyMap<Constructor, InstanceWrapper>,
  ) {}

  register(): void {
    // Nest owns registration: the class is a provider of some module, or a problem below.
  }

  problemsOf(type: Constructor, role: ClassRole): readonly string[] {
    if (this.wrappers.has(type)) return [];
    const what = role === 'workflow' ? 'Workflow class' : 'Pipeline class';
    return [`${what} ${type.name} is not a provider of any module; add it to a module's providers so Nest can build it and inject its dependencies`];
  }

  workflowInstance(type: Constructor): object | Promise<object> {
    return this.instanceOf(type);
  }

  pipelines(types: ReadonlyMap<string, Constructor>): PipelineLookup {
    return new NestPipelineLookup(types, (type) => this.instanceOf(type));
  }

  private instanceOf(type: Constructor): object | Promise<object> {
    const wrapper = this.wrappers.get(type);
    if (wrapper !== undefined && isScoped(wrapper)) return this.moduleRef.resolve(type, ContextIdFactory.create(), { strict: false }) as Promise<object>;
    return this.moduleRef.get(type, { strict: false }) as object;
  }
}

/** `@Pipeline` providers by name; a scoped one is resolved anew for each dispatch. */
class NestPipelineLookup implements PipelineLookup {
  constructor(
    private readonly types: ReadonlyMap<string, Constructor>,
    private readonly instanceOf: (type: Constructor) => object | Promise<object>,
  ) {}

  get(name: string): PipelineHandler | undefined {
    const type = this.types.get(name);
    if (type === undefined) return undefined;
    const instance = this.instanceOf(type);
    if (!(instance instanceof Promise)) return checked(name, type, instance);
    return {
      run: async (params: PipelineParams, ctx: WorkflowContext, step: StepRuntime) => checked(name, type, await instance).run(params, ctx, step),
    };
  }

  has(name: string): boolean {
    return this.types.has(name);
  }

  names(): readonly string[] {
    return [...this.types.keys()].sort();
  }
}

function checked(name: string, type: Constructor, instance: object): PipelineHandler {
  if (typeof (instance as Partial<PipelineHandler>).run !== 'function') {
    throw new SpineError('invalid-definition', `Pipeline "${name}" (class ${type.name}) has no run(params, ctx) method.`);
  }
  return instance as PipelineHandler;
}
