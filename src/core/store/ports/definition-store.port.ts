import type { WorkflowSpec } from '../../definition/workflow-spec';
import type { StoredDefinition } from '../records/run-record';

/** Port: workflow definitions: the hash of every code definition that ran, and the declarative definitions saved to the store. */
export interface DefinitionStore {
  /**
   * Keeps a workflow definition (its JSON spec and hash) once per name and hash, and makes it the
   * name's active definition: one per name, whatever its kind — the one saved last.
   */
  saveDefinition(spec: WorkflowSpec, hash: string): Promise<void>;
  /**
   * Keeps a declarative definition (kind 'declarative'): a new (name, hash) is inserted
   * active, the same one again is re-activated; every other definition of the name (declarative or
   * code) is made inactive. Returns whether a row was inserted.
   */
  saveStoredDefinition(definition: Omit<StoredDefinition, 'isActive' | 'createdAt' | 'updatedAt'>, now: Date): Promise<{ readonly created: boolean }>;
  /** The active declarative definitions (one per name), by name. */
  listStoredDefinitions(): Promise<StoredDefinition[]>;
  /** Notes that a live process holds these definitions (by hash) at `at`: a start, a worker's heartbeat. */
  markHeld(hashes: readonly string[], at: Date): Promise<void>;
}
