import type { WorkflowSpec } from '../../definition/workflow-spec';
import type { StoredDefinition } from '../records/run-record';
import type { DefinitionStore } from '../ports/definition-store.port';
import type { MemoryRuns } from './memory-runs';

/** The in-memory store's definitions: code definitions that ran, and declarative ones; one active per name, whatever its kind: the one saved last. */
export class InMemoryDefinitions implements DefinitionStore {
  constructor(private readonly state: MemoryRuns) {}

  private readonly storedDefinitions: StoredDefinition[] = [];
  /** The specs of code definitions that ran, by name and hash. */
  private readonly definitionHashes = new Map<string, Map<string, WorkflowSpec>>();

  /** The active code definition per name, when a code definition was saved last. */
  private readonly activeCode = new Map<string, string>();

  async saveDefinition(spec: WorkflowSpec, hash: string): Promise<void> {
    const byHash = this.definitionHashes.get(spec.name) ?? new Map<string, WorkflowSpec>();
    if (!byHash.has(hash)) byHash.set(hash, structuredClone(spec));
    this.definitionHashes.set(spec.name, byHash);
    // one active definition per name, whatever its kind: the one saved last
    this.activeCode.set(spec.name, hash);
    for (const [i, stored] of this.storedDefinitions.entries()) if (stored.name === spec.name && stored.isActive) this.storedDefinitions[i] = { ...stored, isActive: false };
  }

  async saveStoredDefinition(definition: Omit<StoredDefinition, 'isActive' | 'createdAt' | 'updatedAt'>, now: Date): Promise<{ readonly created: boolean }> {
    const index = this.storedDefinitions.findIndex((d) => d.name === definition.name && d.hash === definition.hash);
    this.activeCode.delete(definition.name);
    for (const [i, stored] of this.storedDefinitions.entries()) {
      if (stored.name === definition.name && stored.isActive && i !== index) this.storedDefinitions[i] = { ...stored, isActive: false, updatedAt: now };
    }
    if (index >= 0) {
      this.storedDefinitions[index] = { ...this.storedDefinitions[index]!, isActive: true, updatedAt: now };
      return { created: false };
    }
    this.storedDefinitions.push({ ...structuredClone(definition), isActive: true, createdAt: now, updatedAt: now });
    return { created: true };
  }

  async listStoredDefinitions(): Promise<StoredDefinition[]> {
    return this.storedDefinitions
      .filter((d) => d.isActive)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((d) => structuredClone(d));
  }

  async markHeld(hashes: readonly string[], at: Date): Promise<void> {
    for (const hash of hashes) if ((this.state.heldAt.get(hash)?.getTime() ?? -Infinity) < at.getTime()) this.state.heldAt.set(hash, at);
  }
}
