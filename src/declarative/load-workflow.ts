import { compileWorkflow } from '../core/definition/workflow.compiler';
import type { WorkflowDefinition } from '../core/definition/workflow-definition';
import { WorkflowDefinitionError } from '../core/errors/spine-error';
import { declareWorkflowDocument } from './document.compiler';
import { CompositeHandlerLookup, NO_HANDLERS, type HandlerLookup } from './handler-registry';
import { parseWorkflowText, readWorkflowFile, schemaProblems, type WorkflowDocument } from './workflow-document';

/** How a declarative workflow is loaded. */
export interface LoadWorkflowOptions {
  /** Where its lambda steps' handlers are found by name (a `HandlerRegistry`, or several). */
  readonly handlers?: HandlerLookup | readonly HandlerLookup[];
}

function lookupOf(handlers: LoadWorkflowOptions['handlers']): HandlerLookup {
  if (handlers === undefined) return NO_HANDLERS;
  return Array.isArray(handlers) ? new CompositeHandlerLookup(handlers as HandlerLookup[]) : (handlers as HandlerLookup);
}

/**
 * Loads a workflow defined in a YAML or JSON file: checked against the published JSON Schema
 * (`spine-orchestration/schema/workflow.schema.json`), its choice conditions compiled, its
 * handlers found, and compiled into the same `WorkflowDefinition` as `Workflow.define`. Throws one
 * `WorkflowDefinitionError` listing every problem with its file, line and column.
 */
export function loadWorkflow(file: string, options: LoadWorkflowOptions = {}): WorkflowDefinition {
  const parsed = readWorkflowFile(file);
  if (parsed.document === null) throw new WorkflowDefinitionError(`Workflow file ${file}`, parsed.problems);
  return compileDocument(parsed.document, parsed.locate, lookupOf(options.handlers), `Workflow file ${file}`);
}

/** The same from the text of a file (`source` names it in problems) or from a document already parsed. */
export function workflowFromDocument(document: string | Readonly<Record<string, unknown>>, options: LoadWorkflowOptions & { readonly source?: string } = {}): WorkflowDefinition {
  const source = options.source ?? (typeof document === 'string' ? 'workflow text' : 'workflow document');
  if (typeof document === 'string') {
    const parsed = parseWorkflowText(document, source);
    if (parsed.document === null) throw new WorkflowDefinitionError(`Workflow ${source}`, parsed.problems);
    return compileDocument(parsed.document, parsed.locate, lookupOf(options.handlers), `Workflow ${source}`);
  }
  const locate = (): string => source;
  const problems = schemaProblems(document, locate);
  if (problems.length > 0) throw new WorkflowDefinitionError(`Workflow ${source}`, problems);
  return compileDocument(document as WorkflowDocument, locate, lookupOf(options.handlers), `Workflow ${source}`);
}

function compileDocument(document: WorkflowDocument, locate: (path: readonly (string | number)[]) => string, handlers: HandlerLookup, where: string): WorkflowDefinition {
  const declared = declareWorkflowDocument(document, handlers, locate);
  if (declared.declaration === null) throw new WorkflowDefinitionError(where, declared.problems);
  return compileWorkflow(declared.declaration);
}
