import type { WorkflowDefinition, WorkflowLookup } from '../core/definition/workflow-definition';
import { SpineError } from '../core/errors/spine-error';
import type { Constructor } from '../decorators/decorator-metadata';

/** A registered workflow and where it came from. */
export interface RegisteredWorkflow {
  readonly definition: WorkflowDefinition;
  /** 'class EtlWorkflow' or 'a Workflow.define(...) definition'. */
  readonly source: string;
  readonly type: Constructor | null;
  readonly paramsType: Constructor | null;
  /** A declarative definition loaded from the store (`core_workflows`). */
  readonly stored?: boolean;
}

/**
 * Compiled workflows by name and version; frozen once the application has started. Several
 * versions of one name may be registered side by side (`WeeklyRefreshV1` next to `WeeklyRefresh`,
 * version 2): new runs start on the highest, a run continues on the version it started with.
 */
export class WorkflowRegistry implements WorkflowLookup {
  /** Per name, its versions, highest first. */
  private readonly entries = new Map<string, RegisteredWorkflow[]>();
  private frozenAt: string | null = null;

  /** Registers a workflow; returns a problem sentence instead when its name and version are taken. */
  add(entry: RegisteredWorkflow): string | null {
    if (this.frozenAt !== null) {
      throw new SpineError(
        'registry-frozen',
        `Workflow "${entry.definition.name}" cannot be registered: registration closed when Spine.create returned (${this.frozenAt}). ` +
          'Pass every workflow to Spine.create({ workflows }) or let discovery find it.',
      );
    }
    const { name, version } = entry.definition;
    const versions = this.entries.get(name) ?? [];
    const existing = versions.find((v) => v.definition.version === version);
    if (existing !== undefined) {
      if (existing.definition === entry.definition || (existing.type !== null && existing.type === entry.type)) return null;
      return (
        `workflow "${name}" version ${version} is claimed by both ${existing.source} and ${entry.source}; ` + 'give each workflow its own name, or each version of one workflow its own version number'
      );
    }
    if (versions.length > 0 && versions.some((v) => v.stored === true) !== (entry.stored === true)) {
      const other = versions[0]!;
      return `workflow "${name}" is defined by both ${other.source} and ${entry.source}; a stored definition and a code definition cannot share a name`;
    }
    versions.push(entry);
    versions.sort((a, b) => b.definition.version - a.definition.version);
    this.entries.set(name, versions);
    return null;
  }

  /** Closes registration; `where` says where start-up happened, for later error messages. */
  freeze(where: string): void {
    this.frozenAt = where;
  }

  get frozen(): string | null {
    return this.frozenAt;
  }

  /** The highest version of `name`, or the version given. */
  get(name: string, version?: number): WorkflowDefinition | undefined {
    return this.entry(name, version)?.definition;
  }

  /** The registration of the highest version of `name`, or of the version given. */
  entry(name: string, version?: number): RegisteredWorkflow | undefined {
    const versions = this.entries.get(name);
    return version === undefined ? versions?.[0] : versions?.find((v) => v.definition.version === version);
  }

  /** Every registered version of `name`, highest first. */
  versions(name: string): readonly WorkflowDefinition[] {
    return (this.entries.get(name) ?? []).map((v) => v.definition);
  }

  names(): readonly string[] {
    return [...this.entries.keys()].sort();
  }

  /** Every registration, every version. */
  all(): readonly RegisteredWorkflow[] {
    return [...this.entries.values()].flat();
  }

  /** The highest version of each name. */
  latest(): readonly RegisteredWorkflow[] {
    return [...this.entries.values()].map((versions) => versions[0]!);
  }
}
