import { isWorkflowLike, type WorkflowDeclaration, type WorkflowDefinition, type WorkflowLookup } from '../definition/workflow-definition';
import { compileWorkflow, isCompiledWorkflow } from '../definition/workflow.compiler';
import { SpineError } from '../errors/spine-error';
import { definitionChanged, type RunPin } from './run-pinning';

export type { RunPin } from './run-pinning';
import { workflowHash } from '../definition/workflow-spec';
import type { HeldDefinitions } from '../store/records/held-definitions';
import type { RunRecord } from '../store/records/run-record';

/** The definition a recorded run executes with in this process. */
export interface RunDefinition {
  readonly definition: WorkflowDefinition;
  /** True when it is not the definition the run started on: the run continues on it by step name (`onDefinitionChange: 'continue'`). */
  readonly changed: boolean;
}

type RecordedRun = RunPin & Pick<RunRecord, 'runId'>;

/**
 * The definitions this process holds, by hash: every registered version of every workflow and the
 * workflows their maps run inline. A run executes only on the definition it started on, unless
 * the workflow's newest definition here continues runs started on another
 * (`onDefinitionChange: 'continue'`). `held()` is what claims, wake-ups and recovery take.
 */
export class RunDefinitions {
  private index: { key: string; byHash: Map<string, WorkflowDefinition>; held: HeldDefinitions } | null = null;

  constructor(private readonly workflows: WorkflowLookup | null) {}

  /** The definition `run` executes with here; null when this process lacks it (the run is pinned to a definition it does not hold). */
  forRun(run: RunPin): RunDefinition | null {
    const exact = this.built().byHash.get(run.workflowHash);
    if (exact !== undefined && exact.name === run.workflowName) return { definition: exact, changed: false };
    const newest = this.workflows?.get(run.workflowName);
    if (newest === undefined || newest.onDefinitionChange !== 'continue') return null;
    const same = this.workflows?.get(run.workflowName, run.workflowVersion);
    return { definition: same !== undefined && same.onDefinitionChange === 'continue' ? same : newest, changed: true };
  }

  /**
   * The definition a run is resumed or re-queued with: `given` when the caller names one (refused
   * when it differs from the run's, unless it continues changed definitions or the caller allows
   * it), else the one it started on, else its changed definition when that continues such runs or
   * the caller allows it (`allowDefinitionChange`: the newest). Throws naming what is missing.
   */
  toResume(
    run: RecordedRun,
    where: string,
    options: { readonly workflow?: WorkflowDefinition | WorkflowDeclaration; readonly allowDefinitionChange?: boolean },
    unknown: (name: string) => string,
  ): RunDefinition {
    const allowed = options.allowDefinitionChange === true;
    if (options.workflow !== undefined) {
      const given = compileWorkflow(options.workflow);
      const changed = workflowHash(given) !== run.workflowHash;
      if (changed && given.onDefinitionChange !== 'continue' && !allowed) throw definitionChanged(where, run, { get: () => given, names: () => [given.name] });
      return { definition: given, changed };
    }
    const found = this.forRun(run);
    if (found !== null) return found;
    const newest = this.workflows?.get(run.workflowName);
    if (newest === undefined) throw new SpineError('unknown-workflow', `${where}: ${unknown(run.workflowName)}`);
    if (!allowed) throw definitionChanged(where, run, this.workflows);
    return { definition: newest, changed: true };
  }

  /** The definition with this hash, if held here. */
  byHash(hash: string): WorkflowDefinition | undefined {
    return this.built().byHash.get(hash);
  }

  /** Which runs this process can execute. */
  held(): HeldDefinitions {
    return this.built().held;
  }

  /** Every definition held here (each version, each inline iterator workflow). */
  all(): readonly WorkflowDefinition[] {
    return [...this.built().byHash.values()];
  }

  /** The index, rebuilt when the lookup's contents changed (registration happens before the first run; after that this is a string compare). */
  private built(): { byHash: Map<string, WorkflowDefinition>; held: HeldDefinitions } {
    const lookup = this.workflows;
    const names = lookup?.names() ?? [];
    const tops = names.flatMap((name) => versionsOf(lookup!, name));
    const key = tops.map((d) => `${d.name}@${d.version}`).join('\u0000');
    if (this.index !== null && this.index.key === key && tops.every((d) => this.index!.byHash.get(workflowHash(d)) === d)) return this.index;
    const byHash = new Map<string, WorkflowDefinition>();
    const visit = (definition: WorkflowDefinition): void => {
      const hash = workflowHash(definition);
      if (byHash.has(hash)) return;
      byHash.set(hash, definition);
      for (const step of definition.steps) {
        if (step.type === 'map' && typeof step.iterator !== 'string' && isWorkflowLike(step.iterator) && isCompiledWorkflow(step.iterator)) visit(step.iterator);
      }
    };
    for (const definition of tops) visit(definition);
    const anyOf = names.filter((name) => lookup!.get(name)?.onDefinitionChange === 'continue');
    this.index = { key, byHash, held: Object.freeze({ hashes: Object.freeze([...byHash.keys()]), anyOf: Object.freeze(anyOf) }) };
    return this.index;
  }
}

/** Every version of `name` the lookup holds (a lookup without `versions` holds one). */
function versionsOf(lookup: WorkflowLookup, name: string): readonly WorkflowDefinition[] {
  if (lookup.versions !== undefined) return lookup.versions(name);
  const one = lookup.get(name);
  return one === undefined ? [] : [one];
}
