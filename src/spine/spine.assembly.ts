import { storeNeeds } from '../core/runner/store-needs';
import type { SpineStore, StoreCapability } from '../core/store/ports/spine-store';
import { compileWorkflow, workflowProblems } from '../core/definition/workflow.compiler';
import { isWorkflowLike, type WorkflowDeclaration, type WorkflowDefinition } from '../core/definition/workflow-definition';
import { workflowHash } from '../core/definition/workflow-spec';
import { unknownPipeline } from '../core/pipeline/in-process.dispatcher';
import type { PipelineLookup } from '../core/pipeline/pipeline.types';
import { DecoratorMetadata, type Constructor } from '../decorators/decorator-metadata';
import { CompositePipelineLookup } from '../di/container-pipeline.lookup';
import type { ClassProvider } from './class-provider';
import { exploreModules } from '../discovery/module.explorer';
import { declareWorkflowClass, describeClass } from '../discovery/workflow-class.compiler';
import type { WorkflowRegistry } from '../discovery/workflow.registry';
import type { SpineLogger, SpineOptions } from './spine.options';
import type { LambdaHandler } from '../core/definition/step-definition';
import { CompositeHandlerLookup, HandlerRegistry, type HandlerLookup } from '../declarative/handler-registry';
import { readWorkflowFile } from '../declarative/workflow-document';
import { declareWorkflowDocument } from '../declarative/document.compiler';

/** What start-up assembled, and every problem it met on the way. */
export interface Assembly {
  readonly pipelines: PipelineLookup;
  /** Lambda handlers of declarative workflows, by name. */
  readonly handlers: HandlerLookup;
  readonly problems: readonly string[];
}

function isLookup(value: unknown): value is PipelineLookup {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as PipelineLookup).get === 'function' &&
    typeof (value as PipelineLookup).has === 'function' &&
    typeof (value as PipelineLookup).names === 'function'
  );
}

/**
 * Discovers modules, binds pipeline and workflow classes in the container, checks their
 * constructor dependencies, compiles every workflow into the registry, and gathers every problem
 * instead of stopping at the first.
 */
export async function assemble(options: SpineOptions, classes: ClassProvider, registry: WorkflowRegistry, logger: SpineLogger): Promise<Assembly> {
  const problems: string[] = [];
  const explored = await exploreModules(options.discover ?? [], options.cwd ?? process.cwd());
  for (const warning of explored.warnings) logger.warn({}, warning);
  problems.push(...explored.problems);

  const pipelines = assemblePipelines([...(options.pipelines ?? []), ...explored.pipelines], classes, problems);
  const handlers = assembleHandlers([...(options.handlers ?? []), ...explored.handlers], classes, problems);
  assembleWorkflows([...(options.workflows ?? []), ...explored.workflows], classes, registry, pipelines, problems);
  for (const file of explored.workflowFiles) assembleWorkflowFile(file, handlers, registry, problems);
  return { pipelines, handlers, problems };
}

function isHandlerLookup(value: unknown): value is HandlerLookup {
  return value !== null && typeof value === 'object' && typeof (value as HandlerLookup).get === 'function' && typeof (value as HandlerLookup).names === 'function';
}

/**
 * `@Handler` classes (bound once in the container; their instance made on first call) and
 * handler registries as one lookup; a name claimed twice is a problem naming both.
 */
function assembleHandlers(items: readonly unknown[], classes: ClassProvider, problems: string[]): HandlerLookup {
  const own = new HandlerRegistry();
  const owners = new Map<string, string>();
  const lookups: HandlerLookup[] = [own];
  const claim = (name: string, owner: string): boolean => {
    const existing = owners.get(name);
    if (existing !== undefined && existing !== owner) {
      problems.push(`handler name "${name}" is claimed by both ${existing} and ${owner}; give each handler its own name`);
      return false;
    }
    owners.set(name, owner);
    return true;
  };
  const seen = new Set<unknown>();
  for (const item of items) {
    if (seen.has(item)) continue;
    seen.add(item);
    if (isHandlerLookup(item)) {
      lookups.push(item);
      for (const name of item.names()) claim(name, 'a HandlerRegistry');
      continue;
    }
    if (!DecoratorMetadata.isHandlerClass(item)) {
      problems.push(`handlers: ${typeof item === 'function' ? describeClass(item as Constructor) : typeof item} is neither a class with @Handler methods nor a HandlerRegistry`);
      continue;
    }
    const type = item;
    classes.register(type, 'pipeline');
    problems.push(...classes.problemsOf(type, 'pipeline'));
    let instance: Promise<object> | null = null;
    for (const { name, method } of DecoratorMetadata.handlers(type)) {
      const where = `${describeClass(type)}.${String(method)}`;
      if (typeof (type.prototype as Record<string | symbol, unknown>)[method] !== 'function') {
        problems.push(`@Handler('${name}') on ${where}: not a method`);
        continue;
      }
      if (!claim(name, where)) continue;
      own.handler(name, async (ctx, config, runtime) => {
        instance ??= Promise.resolve(classes.workflowInstance(type));
        const target = (await instance) as Record<string | symbol, (...args: unknown[]) => unknown>;
        return target[method]!(ctx, config, runtime) as ReturnType<LambdaHandler>;
      });
    }
  }
  return new CompositeHandlerLookup(lookups);
}

/** A YAML/JSON workflow file found by discovery: checked, compiled and registered (problems name file and line). */
function assembleWorkflowFile(file: string, handlers: HandlerLookup, registry: WorkflowRegistry, problems: string[]): void {
  const parsed = readWorkflowFile(file);
  if (parsed.document === null) {
    problems.push(...parsed.problems);
    return;
  }
  const declared = declareWorkflowDocument(parsed.document, handlers, parsed.locate);
  if (declared.declaration === null) {
    problems.push(...declared.problems);
    return;
  }
  const conflict = registry.add({ definition: compileWorkflow(declared.declaration), source: `the file ${file}`, type: null, paramsType: null });
  if (conflict !== null) problems.push(conflict);
}

function assemblePipelines(items: readonly unknown[], classes: ClassProvider, problems: string[]): PipelineLookup {
  const types = new Map<string, Constructor>();
  const lookups: PipelineLookup[] = [];
  for (const item of items) {
    if (isLookup(item)) {
      lookups.push(item);
      continue;
    }
    const metadata = DecoratorMetadata.pipeline(item);
    if (metadata === undefined) {
      problems.push(`pipelines: ${typeof item === 'function' ? describeClass(item as Constructor) : typeof item} is neither a @Pipeline class nor a PipelineRegistry`);
      continue;
    }
    const type = item as Constructor;
    const existing = types.get(metadata.name);
    if (existing !== undefined && existing !== type) {
      problems.push(`pipeline name "${metadata.name}" is claimed by both ${describeClass(existing)} and ${describeClass(type)}; give each pipeline its own name`);
      continue;
    }
    if (typeof (type.prototype as { run?: unknown }).run !== 'function') {
      problems.push(`pipeline "${metadata.name}" (${describeClass(type)}) has no run(params, ctx) method`);
    }
    types.set(metadata.name, type);
    classes.register(type, 'pipeline');
  }
  for (const [name, type] of types) {
    problems.push(...classes.problemsOf(type, 'pipeline'));
    const registry = lookups.find((lookup) => lookup.has(name));
    if (registry !== undefined) problems.push(`pipeline name "${name}" is claimed by both ${describeClass(type)} and a PipelineRegistry`);
  }
  const registered = new Map<string, number>();
  lookups.forEach((lookup, index) => {
    for (const name of lookup.names()) {
      if (registered.has(name) && registered.get(name) !== index) problems.push(`pipeline name "${name}" is registered in two PipelineRegistries`);
      registered.set(name, index);
    }
  });
  return new CompositePipelineLookup([classes.pipelines(types), ...lookups]);
}

/**
 * The workflow definitions a workflow's map steps run per item (not named by string, not inline
 * steps): registered with it, so a worker of the same application can run its items — a
 * distributed map's items are runs of the iterator workflow, claimed by name.
 */
function iteratorDefinitions(workflow: WorkflowDefinition | WorkflowDeclaration): IteratorOf[] {
  const found: IteratorOf[] = [];
  for (const step of workflow.steps as readonly { readonly name: string; readonly type?: string; readonly iterator?: unknown }[]) {
    if (step.type === 'map' && isWorkflowLike(step.iterator)) found.push({ parent: workflow.name, step: step.name, iterator: step.iterator as WorkflowDefinition | WorkflowDeclaration });
  }
  return found;
}

/** A workflow definition a map step of `parent` runs per item. */
interface IteratorOf {
  readonly parent: string;
  readonly step: string;
  readonly iterator: WorkflowDefinition | WorkflowDeclaration;
}

/**
 * Registers the iterator workflows found (and theirs, in turn). One already registered under its
 * name is kept when it is the same definition (same hash); a different one is a problem: workers
 * would run the items under the registered definition.
 */
function registerIterators(iterators: IteratorOf[], registry: WorkflowRegistry, problems: string[]): void {
  const done = new Set<unknown>();
  while (iterators.length > 0) {
    const { parent, step, iterator } = iterators.shift()!;
    if (done.has(iterator)) continue;
    done.add(iterator);
    const invalid = workflowProblems(iterator);
    if (invalid.length > 0) continue; // the parent's own check names them
    const definition = compileWorkflow(iterator);
    const existing = registry.entry(definition.name, definition.version);
    if (existing !== undefined) {
      if (workflowHash(existing.definition) !== workflowHash(definition)) {
        problems.push(
          `workflow "${parent}": step "${step}" maps over a workflow named "${definition.name}" (version ${definition.version}) that differs from the registered one of that version (${existing.source}); ` +
            'a worker would not know which to run its items under. Give the iterator its own name or version, or map over the registered workflow.',
        );
      }
      continue;
    }
    const conflict = registry.add({ definition, source: `the iterator of step "${step}" of workflow "${parent}"`, type: null, paramsType: null });
    if (conflict !== null) problems.push(conflict);
    iterators.push(...iteratorDefinitions(definition));
  }
}

function assembleWorkflows(
  items: readonly (Constructor | WorkflowDefinition | WorkflowDeclaration | unknown)[],
  classes: ClassProvider,
  registry: WorkflowRegistry,
  pipelines: PipelineLookup,
  problems: string[],
): void {
  const resolve = (type: Constructor): object | Promise<object> => classes.workflowInstance(type);
  const pending = [...items];
  const seen = new Set<unknown>();
  const iterators: IteratorOf[] = [];
  while (pending.length > 0) {
    const item = pending.shift();
    if (seen.has(item)) continue;
    seen.add(item);
    if (typeof item === 'function') {
      const type = item as Constructor;
      const { declared, problems: found } = declareWorkflowClass(type, resolve);
      problems.push(...found);
      if (declared === null) continue;
      pending.push(...declared.iteratorTypes);
      classes.register(type, 'workflow');
      problems.push(...classes.problemsOf(type, 'workflow'));
      const where = describeClass(type, declared.declaration.name);
      const invalid = workflowProblems(declared.declaration);
      problems.push(...invalid.map((p) => `${where}: ${p}`));
      if (found.length > 0 || invalid.length > 0) {
        // Not registered, so the runner will not check it: name its unknown pipelines here.
        for (const step of declared.declaration.steps) {
          if (step.type === 'pipeline' && typeof step.pipeline === 'string' && !pipelines.has(step.pipeline)) {
            problems.push(`${where}: step "${step.name}": ${unknownPipeline(step.pipeline, pipelines.names()).message}`);
          }
        }
        continue;
      }
      const conflict = registry.add({ definition: compileWorkflow(declared.declaration), source: describeClass(type), type, paramsType: declared.paramsType });
      if (conflict !== null) problems.push(conflict);
      iterators.push(...iteratorDefinitions(declared.declaration));
    } else if (isWorkflowLike(item)) {
      const invalid = workflowProblems(item);
      if (invalid.length > 0) {
        problems.push(...invalid.map((p) => `workflow "${item.name}": ${p}`));
        continue;
      }
      const conflict = registry.add({ definition: compileWorkflow(item), source: `a workflow definition`, type: null, paramsType: null });
      if (conflict !== null) problems.push(conflict);
      iterators.push(...iteratorDefinitions(item));
    } else {
      problems.push(`workflows: ${item === null ? 'null' : typeof item} is neither a @Workflow class nor a workflow definition`);
    }
  }
  registerIterators(iterators, registry, problems);
}

/** What the workflows, schedules and worker need of a store that lacks a capability (`queue`, `schedules` or `signals` null): one line each, naming workflow, step and store. */
export function capabilityProblems(
  store: SpineStore,
  workflows: readonly WorkflowDefinition[],
  schedules: readonly { readonly name: string; readonly workflow: string }[],
  worker: SpineOptions['worker'],
): string[] {
  const lacks = (capability: StoreCapability): string => `which the ${store.name} store does not offer (its ${capability} is null)`;
  const problems: string[] = [];
  for (const definition of workflows) {
    for (const need of storeNeeds(definition)) {
      if (store[need.capability] === null) problems.push(`workflow "${definition.name}", step "${need.step}": ${need.why}, ${lacks(need.capability)}; use a store that does`);
    }
  }
  if (store.schedules === null) for (const schedule of schedules) problems.push(`schedule "${schedule.name}" of workflow "${schedule.workflow}" needs schedules, ${lacks('schedules')}`);
  if (store.queue === null && worker !== undefined && worker !== false) problems.push(`the worker option needs a run queue, ${lacks('queue')}`);
  return problems;
}
