import { pathToFileURL } from 'node:url';
import { glob } from 'tinyglobby';
import { DecoratorMetadata, type Constructor } from '../decorators/decorator-metadata';
import { isWorkflowFile } from '../declarative/workflow-files';

/** What the globs turned up: decorated classes exported by the matched modules. */
export interface ExploredModules {
  readonly workflows: readonly Constructor[];
  readonly pipelines: readonly Constructor[];
  /** Classes with `@Handler` methods (lambda handlers of declarative workflows). */
  readonly handlers: readonly Constructor[];
  /** Workflow definition files (YAML, JSON) the patterns matched: read, not imported. */
  readonly workflowFiles: readonly string[];
  readonly files: readonly string[];
  /** Patterns that matched nothing, modules that exported nothing decorated. */
  readonly warnings: readonly string[];
  /** Modules that could not be imported. */
  readonly problems: readonly string[];
}

/**
 * Imports every module the patterns match (relative to `cwd`) and picks up the exported classes
 * that carry `@Workflow`, `@Pipeline` or `@Handler` metadata; YAML and JSON files matched are
 * workflow definitions (listed, not imported). Nothing is kept in a process-wide registry.
 */
export async function exploreModules(patterns: readonly string[], cwd: string): Promise<ExploredModules> {
  const workflows = new Set<Constructor>();
  const pipelines = new Set<Constructor>();
  const handlers = new Set<Constructor>();
  const workflowFiles: string[] = [];
  const warnings: string[] = [];
  const problems: string[] = [];
  const files: string[] = [];
  for (const pattern of patterns) {
    const matched = (await glob(pattern, { cwd, absolute: true, ignore: ['**/node_modules/**', '**/*.d.ts'] })).sort();
    if (matched.length === 0) warnings.push(`discover pattern "${pattern}" matched no files under ${cwd}`);
    for (const file of matched) {
      if (files.includes(file)) continue;
      files.push(file);
      if (isWorkflowFile(file)) {
        workflowFiles.push(file);
        continue;
      }
      let exported: Record<string, unknown>;
      try {
        exported = await loadModule(file);
      } catch (error) {
        problems.push(`discover: importing ${file} failed: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      let found = 0;
      for (const value of new Set(Object.values(exported))) {
        if (DecoratorMetadata.isWorkflowClass(value)) workflows.add(value);
        if (DecoratorMetadata.isPipelineClass(value)) pipelines.add(value);
        if (DecoratorMetadata.isHandlerClass(value)) handlers.add(value);
        if (DecoratorMetadata.isWorkflowClass(value) || DecoratorMetadata.isPipelineClass(value) || DecoratorMetadata.isHandlerClass(value)) found++;
      }
      if (found === 0) warnings.push(`discover: ${file} exports no @Workflow, @Pipeline or @Handler class`);
    }
  }
  return { workflows: [...workflows], pipelines: [...pipelines], handlers: [...handlers], workflowFiles, files, warnings, problems };
}

/** `require` first (works for CommonJS and, on Node ≥ 20.19, synchronous ES modules); `import()` otherwise. */
async function loadModule(file: string): Promise<Record<string, unknown>> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a discovered module, loaded through require so the TypeScript hook compiles it
    return require(file) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw error;
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  }
}
