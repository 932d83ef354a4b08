import { Step } from '../core/definition/step.factory';
import type { StepDeclaration, StepRuntime } from '../core/definition/step-definition';
import { isWorkflowLike, type WorkflowDeclaration, type WorkflowDefinition } from '../core/definition/workflow-definition';
import { isThenable } from '../core/runner/thenable';
import { DecoratorMetadata, type Constructor, type StepMetadata } from '../decorators/decorator-metadata';

/**
 * Resolves the instance a workflow class's methods run on (from the container), once per run. It
 * may be asynchronous (a Nest provider with request or transient scope is resolved that way).
 */
export type InstanceResolver = (type: Constructor) => object | Promise<object>;

/** A workflow class turned into a declaration, with what else it needs. */
export interface DeclaredWorkflowClass {
  readonly type: Constructor;
  readonly declaration: WorkflowDeclaration;
  /** The class-validator DTO of its params, if it declared one. */
  readonly paramsType: Constructor | null;
  /** `@Workflow` classes its map steps iterate with (they are registered too). */
  readonly iteratorTypes: readonly Constructor[];
}

const DECORATOR_NAMES: Readonly<Record<StepMetadata['kind'], string>> = {
  lambda: '@LambdaStep',
  pipeline: '@PipelineStep',
  choice: '@Choice',
  wait: '@Wait',
  map: '@MapStep',
};

/** How a class is named in start-up problems. */
export function describeClass(type: Constructor, name?: string): string {
  return name === undefined ? `class ${type.name || '(anonymous)'}` : `workflow "${name}" (class ${type.name || '(anonymous)'})`;
}

/**
 * Compiles a decorated class into a workflow declaration whose steps call the class's methods on
 * an instance resolved once per run. Returns every problem found instead of stopping at the first.
 */
export function declareWorkflowClass(type: Constructor, resolve: InstanceResolver): { readonly declared: DeclaredWorkflowClass | null; readonly problems: readonly string[] } {
  const options = DecoratorMetadata.workflow(type);
  if (options === undefined) {
    return { declared: null, problems: [`${describeClass(type)} is not decorated with @Workflow({ name })`] };
  }
  const where = describeClass(type, options.name);
  const problems: string[] = [];
  const add = (problem: string): void => void problems.push(`${where}: ${problem}`);
  if (typeof options.name !== 'string' || options.name.trim() === '') add('@Workflow needs a non-empty name');
  if (options.params !== undefined && typeof options.params !== 'function') add('params must be a class (a class-validator DTO)');
  for (const step of DecoratorMetadata.staticSteps(type)) {
    add(`static method "${String(step.method)}" cannot be a step (${DECORATOR_NAMES[step.kind]}); steps run on an instance`);
  }

  const recorded = DecoratorMetadata.steps(type);
  if (recorded.length === 0) add('it has no step methods; decorate methods with @LambdaStep, @PipelineStep, @Choice, @Wait or @MapStep');
  const byMethod = new Map<string | symbol, StepMetadata[]>();
  for (const step of recorded) byMethod.set(step.method, [...(byMethod.get(step.method) ?? []), step]);
  for (const [method, steps] of byMethod) {
    if (steps.length > 1) {
      add(`method "${String(method)}" has ${steps.length} step decorators (${steps.map((s) => DECORATOR_NAMES[s.kind]).join(', ')}); keep one`);
    }
  }

  const instanceIn = (step: StepRuntime): MethodTable | Promise<MethodTable> => step.scope.getOrCreate(type, () => resolve(type)) as MethodTable | Promise<MethodTable>;
  const iteratorTypes: Constructor[] = [];
  const steps: StepDeclaration[] = [];
  for (const [method, [step]] of byMethod) {
    if (step === undefined) continue;
    const label = `${DECORATOR_NAMES[step.kind]} on "${String(method)}"`;
    if (!step.isMethod) {
      add(`${label}: "${String(method)}" is not a method; put ${DECORATOR_NAMES[step.kind]} on a method`);
      continue;
    }
    const name = step.options.name ?? (typeof method === 'string' ? method : undefined);
    if (name === undefined) {
      add(`${label}: a symbol-named method needs { name } in its options`);
      continue;
    }
    const declaration = declareStep(step, name, method, instanceIn, (ref) => {
      if (typeof ref === 'function') {
        const iterator = DecoratorMetadata.workflow(ref);
        if (iterator === undefined) {
          add(`${label}: iterator ${describeClass(ref as Constructor)} is not a workflow; decorate it with @Workflow or name a workflow`);
          return undefined;
        }
        iteratorTypes.push(ref as Constructor);
        return iterator.name;
      }
      if (typeof ref === 'string' || isWorkflowLike(ref)) return ref;
      add(`${label}: iterator must be a @Workflow class, a workflow name or a workflow definition (got ${ref === null ? 'null' : typeof ref})`);
      return undefined;
    });
    if (declaration !== undefined) steps.push(declaration);
  }

  const declaration: WorkflowDeclaration = {
    name: options.name,
    domain: options.domain ?? null,
    description: options.description ?? null,
    defaults: options.defaults ?? {},
    steps,
    ...(options.version !== undefined && { version: options.version }),
    ...(options.maxSteps !== undefined && { maxSteps: options.maxSteps }),
    ...(options.tags !== undefined && { tags: options.tags }),
    ...(options.queue !== undefined && { queue: options.queue }),
    ...(options.checkpointEvery !== undefined && { checkpointEvery: options.checkpointEvery }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.onDefinitionChange !== undefined && { onDefinitionChange: options.onDefinitionChange }),
  };
  return { declared: { type, declaration, paramsType: options.params ?? null, iteratorTypes }, problems };
}

type MethodTable = Record<string | symbol, (...args: unknown[]) => unknown>;

/** Calls the method on the run's instance; stays synchronous unless the instance is resolved asynchronously. */
function callOn(instance: MethodTable | Promise<MethodTable>, method: string | symbol, args: unknown[]): unknown {
  return isThenable(instance) ? instance.then((resolved) => resolved[method]!(...args)) : instance[method]!(...args);
}

/** A function that is named after the method it calls, so specs and stack traces show the method. */
function named<F extends (...args: never[]) => unknown>(method: string | symbol, fn: F): F {
  Object.defineProperty(fn, 'name', { value: String(method) });
  return fn;
}

function declareStep(
  step: StepMetadata,
  name: string,
  method: string | symbol,
  instanceIn: (step: StepRuntime) => MethodTable | Promise<MethodTable>,
  iteratorOf: (ref: unknown) => string | WorkflowDefinition | undefined,
): StepDeclaration | undefined {
  const viaScope = named(method, (ctx: unknown, step: StepRuntime) => callOn(instanceIn(step), method, [ctx, step]));
  switch (step.kind) {
    case 'lambda': {
      const { name: _name, ...options } = step.options;
      return Step.lambda(
        name,
        named(method, (ctx, config, runtime) => callOn(instanceIn(runtime), method, [ctx, config, runtime]) as never),
        options,
      );
    }
    case 'pipeline': {
      const { name: _name, pipeline, ...options } = step.options;
      return Step.pipeline(name, pipeline, { ...options, paramsFrom: viaScope as never });
    }
    case 'choice': {
      const { name: _name, ...options } = step.options;
      return Step.choice(name, { ...options, when: viaScope as never });
    }
    case 'wait': {
      const { name: _name, ...options } = step.options;
      return options.seconds == null && options.signal == null && options.durationPath == null ? Step.wait(name, { ...options, until: viaScope as never }) : Step.wait(name, options);
    }
    case 'map': {
      const { name: _name, itemsFrom, iterator, ...options } = step.options;
      const resolved = iteratorOf(iterator);
      if (resolved === undefined) return undefined;
      const source = typeof itemsFrom === 'string' ? { itemsPath: itemsFrom } : typeof itemsFrom === 'function' ? { itemsFrom } : options.items != null ? {} : { itemsFrom: viaScope as never };
      return Step.map(name, { ...options, ...source, iterator: resolved });
    }
  }
}
