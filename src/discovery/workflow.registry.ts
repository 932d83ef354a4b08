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

/** Compiled workflows by name; frozen once the application has started. */
export class WorkflowRegistry implements WorkflowLookup {
  private readonly entries = new Map<string, RegisteredWorkflow>();
  private frozenAt: string | null = null;

  /** Registers a workflow; returns a problem sentence instead when the name is taken. */
  add(entry: RegisteredWorkflow): string | null {
    if (this.frozenAt !== null) {
      throw new SpineError(
        'registry-frozen',
        `Workflow "${entry.definition.name}" cannot be registered: registration closed when Spine.create returned (${this.frozenAt}). ` +
          'Pass every workflow to Spine.create({ workflows }) or let discovery find it.',
      );
    }
    const name = entry.definition.name;
    const existing = this.entries.get(name);
    if (existing !== undefined) {
      if (existing.definition === entry.definition || (existing.type !== null && existing.type === entry.type)) return null;
      return `workflow name "${name}" is claimed by both ${existing.source} and ${entry.source}; give each workflow its own name`;
    }
    this.entries.set(name, entry);
    return null;
  }

  /** Closes registration; `where` says where start-up happened, for later error messages. */
  freeze(where: string): void {
    this.frozenAt = where;
  }

  get frozen(): string | null {
    return this.frozenAt;
  }

  get(name: string): WorkflowDefinition | undefined {
    return this.entries.get(name)?.definition;
  }

  entry(name: string): RegisteredWorkflow | undefined {
    return this.entries.get(name);
  }

  names(): readonly string[] {
    return [...this.entries.keys()].sort();
  }

  all(): readonly RegisteredWorkflow[] {
    return [...this.entries.values()];
  }
}
