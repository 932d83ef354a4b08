import type { WorkflowContext } from '../core/context/workflow-context';
import type { LambdaHandler, StepDeclaration } from '../core/definition/step-definition';
import type { WorkflowDeclaration } from '../core/definition/workflow-definition';
import { workflowProblems } from '../core/definition/workflow.compiler';
import { compileExpression, ExpressionError } from './expression';
import type { HandlerLookup } from './handler-registry';
import { pathText, type WorkflowDocument } from './workflow-document';

type Fields = Readonly<Record<string, unknown>>;

/** A document compiled into a declaration (the same `Workflow.define` takes), or every problem. */
export interface DeclaredDocument {
  readonly declaration: WorkflowDeclaration | null;
  readonly problems: readonly string[];
  /** Handler names the document uses. */
  readonly handlers: readonly string[];
}

const upper = (value: unknown): string | undefined => (typeof value === 'string' ? value.toUpperCase() : undefined);

/** Copies the fields present, renamed (snake_case → the API's camelCase). */
function pick(source: Fields | undefined, names: Readonly<Record<string, string>>, convert: (key: string, value: unknown) => unknown = (_k, v) => v): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (source === undefined) return out;
  for (const [from, to] of Object.entries(names)) if (source[from] !== undefined) out[to] = convert(from, source[from]);
  return out;
}

const COMMON = { description: 'description', on_error: 'onError', timeout_ms: 'timeoutMs', quality_mode: 'qualityMode', next: 'next', depends_on: 'dependsOn', checkpoint: 'checkpoint' } as const;
const RETRY = {
  max_attempts: 'maxAttempts',
  backoff: 'backoff',
  initial_delay_ms: 'initialDelayMs',
  max_delay_ms: 'maxDelayMs',
  jitter: 'jitter',
  retryable_categories: 'retryableCategories',
} as const;
const QUALITY = { min_valid_rate: 'minValidRate', max_null_rate: 'maxNullRate', min_record_count: 'minRecordCount', max_record_count: 'maxRecordCount' } as const;
const MAP = {
  items: 'items',
  items_path: 'itemsPath',
  iterator: 'iterator',
  item_param: 'itemParam',
  index_param: 'indexParam',
  max_concurrency: 'maxConcurrency',
  on_item_error: 'onItemError',
  tolerated_failure_count: 'toleratedFailureCount',
  tolerated_failure_percentage: 'toleratedFailurePercentage',
  distribute: 'distribute',
} as const;

/** A function with a given name (the spec, the graph and the hash show functions by name). */
function named<F extends (...args: never[]) => unknown>(name: string, fn: F): F {
  Object.defineProperty(fn, 'name', { value: name });
  return fn;
}

/**
 * Compiles a checked document into a `WorkflowDeclaration`: lambda handlers found by name in
 * `handlers`, choice conditions compiled by the expression language (their output references
 * checked against the workflow's steps), the design's spellings turned into the API's. Every
 * problem names the place in the file.
 */
export function declareWorkflowDocument(document: WorkflowDocument, handlers: HandlerLookup, locate: (path: readonly (string | number)[]) => string): DeclaredDocument {
  const problems: string[] = [];
  const used: string[] = [];
  const names = new Set(document.steps.map((s) => String(s.name)));
  const steps: StepDeclaration[] = [];
  document.steps.forEach((step, index) => {
    const where = (field?: string): string =>
      `${locate(field === undefined ? ['steps', index] : ['steps', index, field])}: ${pathText(field === undefined ? ['steps', index] : ['steps', index, field])}`;
    const name = String(step.name);
    const common: Record<string, unknown> = pick(step, COMMON, (key, value) => (key === 'on_error' ? upper(value) : value));
    if (step.retry !== undefined) common.retry = pick(step.retry as Fields, RETRY);
    if (step.quality !== undefined) common.quality = pick(step.quality as Fields, QUALITY);
    switch (step.type) {
      case 'pipeline':
        steps.push({ ...common, type: 'pipeline', name, pipeline: String(step.pipeline), ...(step.params !== undefined && { params: step.params as Fields }) } as StepDeclaration);
        return;
      case 'lambda': {
        const handlerName = String(step.handler);
        used.push(handlerName);
        const fn = handlers.get(handlerName);
        if (fn === undefined) {
          const known = handlers.names();
          problems.push(
            `${where('handler')}no handler named "${handlerName}" is registered (${known.length === 0 ? 'none are' : `registered: ${known.join(', ')}`}); add @Handler('${handlerName}') to a method of a discovered class, or HandlerRegistry.handler('${handlerName}', fn)`,
          );
          return;
        }
        const handler = named<LambdaHandler>(handlerName, (ctx, config, runtime) => fn(ctx, config, runtime));
        steps.push({ ...common, type: 'lambda', name, handler, ...(step.config !== undefined && { config: step.config as Fields }) } as StepDeclaration);
        return;
      }
      case 'choice': {
        const source = String(step.condition);
        let expression;
        try {
          expression = compileExpression(source);
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
          problems.push(`${where('condition')}the condition of step "${name}": ${error.message}`);
          return;
        }
        for (const read of expression.outputSteps) {
          if (!names.has(read)) problems.push(`${where('condition')}"${source}" reads outputs.${read}, but the workflow has no step "${read}"`);
        }
        const when = named(`condition: ${source}`, (ctx: WorkflowContext) => Boolean(expression.evaluate({ params: ctx.params, outputs: ctx.stepOutputs, metadata: ctx.metadata })));
        steps.push({ ...common, type: 'choice', name, when, then: String(step.then_step), ...(step.else_step !== undefined && { otherwise: String(step.else_step) }) } as StepDeclaration);
        return;
      }
      case 'wait': {
        const signal = step.signal as Fields | undefined;
        const wait =
          signal !== undefined
            ? { signal: { name: String(signal.name), timeoutMs: (signal.timeout_ms as number | undefined) ?? null, onTimeout: (signal.on_timeout as 'fail' | 'continue' | undefined) ?? 'fail' } }
            : step.duration_path !== undefined
              ? { durationPath: String(step.duration_path) }
              : { seconds: step.seconds as number };
        steps.push({ ...common, type: 'wait', name, ...wait } as StepDeclaration);
        return;
      }
      case 'map':
        steps.push({ ...common, type: 'map', name, ...pick(step, MAP, (key, value) => (key === 'on_item_error' ? String(value).toLowerCase() : value)) } as StepDeclaration);
        return;
      default:
        problems.push(`${where('type')}unknown step type ${JSON.stringify(step.type)}`);
    }
  });
  const declaration: WorkflowDeclaration = {
    name: document.name,
    steps,
    ...pick(document, {
      domain: 'domain',
      description: 'description',
      version: 'version',
      tags: 'tags',
      queue: 'queue',
      defaults: 'defaults',
      params: 'params',
      max_steps: 'maxSteps',
      checkpoint_every: 'checkpointEvery',
      timeout_ms: 'timeoutMs',
      on_definition_change: 'onDefinitionChange',
    }),
  } as WorkflowDeclaration;
  if (problems.length > 0) return { declaration: null, problems, handlers: used };
  // what the schema cannot say (routes to unknown steps, duplicate names, …), as the compiler says it
  const invalid = workflowProblems(declaration).map((p) => `${locate([])}: ${p}`);
  return { declaration: invalid.length === 0 ? declaration : null, problems: invalid, handlers: used };
}
