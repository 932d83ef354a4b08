import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { compileWorkflow } from '../core/definition/workflow.compiler';
import { canonicalJson } from '../core/definition/workflow-spec';
import type { WorkflowDefinition } from '../core/definition/workflow-definition';
import { SpineError, WorkflowDefinitionError } from '../core/errors/spine-error';
import type { WorkflowRunner } from '../core/runner/workflow-runner';
import type { SpineStore } from '../core/store/ports/spine-store';
import { declareWorkflowDocument } from '../declarative/document.compiler';
import type { HandlerLookup } from '../declarative/handler-registry';
import { isWorkflowFile } from '../declarative/workflow-files';
import { parseWorkflowText, readWorkflowFile, schemaProblems, type WorkflowDocument } from '../declarative/workflow-document';
import type { WorkflowRegistry } from '../discovery/workflow.registry';
import type { SpineLogger } from './spine.options';

/** What `saveDefinition` stored. */
export interface SavedDefinition {
  readonly name: string;
  readonly version: number;
  /** SHA-256 of the document's canonical JSON. */
  readonly hash: string;
  /** False when this very document was stored before (it is active again now). */
  readonly created: boolean;
}

/** A definition document to store: a YAML/JSON file's path, the text of one, or the document itself. */
export type DefinitionSource = string | Readonly<Record<string, unknown>>;

interface Parsed {
  readonly document: WorkflowDocument | null;
  readonly problems: readonly string[];
  readonly locate: (path: readonly (string | number)[]) => string;
  readonly where: string;
}

function parse(source: DefinitionSource): Parsed {
  if (typeof source !== 'string') {
    const locate = (): string => 'definition';
    const problems = schemaProblems(source, locate);
    return { document: problems.length === 0 ? (source as WorkflowDocument) : null, problems, locate, where: 'The workflow definition' };
  }
  if (isWorkflowFile(source) && !source.includes('\n') && existsSync(source)) return { ...readWorkflowFile(source), where: `Workflow file ${source}` };
  return { ...parseWorkflowText(source, 'definition'), where: 'The workflow definition' };
}

/** Compiles a stored or given document with this application's handlers, and checks it against the runner (pipelines, iterators). */
function compile(parsed: Parsed, handlers: HandlerLookup, runner: WorkflowRunner): WorkflowDefinition {
  if (parsed.document === null) throw new WorkflowDefinitionError(parsed.where, parsed.problems);
  const declared = declareWorkflowDocument(parsed.document, handlers, parsed.locate);
  if (declared.declaration === null) throw new WorkflowDefinitionError(parsed.where, declared.problems);
  return runner.validate(compileWorkflow(declared.declaration));
}

/**
 * Stores a declarative definition in `core_workflows` (kind 'declarative', versioned, active):
 * checked against the schema, compiled with this application's handlers and validated against
 * its pipelines first, so a stored definition is one this application can run. A name a code
 * workflow owns is refused. Workers load the active definitions when they start.
 */
export async function saveDefinition(
  source: DefinitionSource,
  options: { readonly createdBy?: string | null },
  context: { readonly store: SpineStore; readonly handlers: HandlerLookup; readonly runner: WorkflowRunner; readonly registry: WorkflowRegistry },
): Promise<SavedDefinition> {
  const { store, handlers, runner, registry } = context;
  const parsed = parse(source);
  const definition = compile(parsed, handlers, runner);
  const owner = registry.entry(definition.name);
  if (owner !== undefined && owner.stored !== true) {
    throw new SpineError(
      'invalid-argument',
      `saveDefinition: workflow "${definition.name}" is defined by ${owner.source}; a stored definition of that name would never run. Rename one of them. Nothing was stored.`,
    );
  }
  const document = parsed.document!;
  const hash = createHash('sha256').update(canonicalJson(document)).digest('hex');
  const { created } = await store.definitions.saveStoredDefinition(
    {
      name: definition.name,
      domain: definition.domain,
      version: definition.version,
      description: definition.description,
      tags: [...definition.tags],
      document,
      hash,
      createdBy: options.createdBy ?? null,
    },
    new Date(runner.clock.now()),
  );
  return { name: definition.name, version: definition.version, hash, created };
}

/**
 * Registers the store's active declarative definitions this application can run: a name defined
 * in code wins (the stored one is passed over with a warning), and one whose handlers or pipelines
 * are not here is passed over with a warning naming what is missing (another worker may run it).
 * Returns the names registered.
 */
export async function loadStoredDefinitions(store: SpineStore, registry: WorkflowRegistry, handlers: HandlerLookup, runner: WorkflowRunner, logger: SpineLogger): Promise<string[]> {
  const loaded: string[] = [];
  for (const stored of await store.definitions.listStoredDefinitions()) {
    const what = `stored definition "${stored.name}" (version ${stored.version}, core_workflows)`;
    const owner = registry.entry(stored.name);
    if (owner !== undefined) {
      logger.warn({ workflow: stored.name, version: stored.version }, `the ${what} is not loaded: ${owner.source} defines that name.`);
      continue;
    }
    try {
      const definition = compile({ document: stored.document as WorkflowDocument, problems: [], locate: () => 'stored definition', where: `The ${what}` }, handlers, runner);
      const conflict = registry.add({ definition, source: `the ${what}`, type: null, paramsType: null, stored: true });
      if (conflict === null) loaded.push(definition.name);
    } catch (error) {
      const problems = (error as { problems?: readonly string[] }).problems ?? [(error as Error).message];
      logger.warn({ workflow: stored.name, version: stored.version }, `the ${what} is not run by this process: ${problems.join('; ')}`);
    }
  }
  return loaded;
}
