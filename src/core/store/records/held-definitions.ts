import type { RunRecord } from './run-record';

/**
 * Which runs a process can execute: runs whose definition it holds (their `workflowHash` is one of
 * `hashes`), and any run of a workflow in `anyOf` (its newest definition here continues runs
 * started on another definition: `onDefinitionChange: 'continue'`). Claims, the wake of a parked
 * run and recovery take only such runs; a worker records what it holds on its row.
 */
export interface HeldDefinitions {
  readonly hashes: readonly string[];
  readonly anyOf: readonly string[];
}

/** Holds nothing. */
export const NO_DEFINITIONS: HeldDefinitions = Object.freeze({ hashes: Object.freeze([]), anyOf: Object.freeze([]) });

/** True when a process holding `held` can execute a run of `workflowName` started on definition `workflowHash`. */
export function holds(held: HeldDefinitions, run: { readonly workflowName: string; readonly workflowHash: string }): boolean {
  return held.hashes.includes(run.workflowHash) || held.anyOf.includes(run.workflowName);
}

/** True when nothing is held. */
export function holdsNothing(held: HeldDefinitions): boolean {
  return held.hashes.length === 0 && held.anyOf.length === 0;
}

/** What several processes hold together. */
export function unionOf(all: readonly HeldDefinitions[]): HeldDefinitions {
  return { hashes: [...new Set(all.flatMap((h) => h.hashes))], anyOf: [...new Set(all.flatMap((h) => h.anyOf))] };
}

/** A run no process in a `HeldDefinitions` can execute, and when its definition was last held (null: never recorded). */
export interface UnheldRun {
  readonly run: RunRecord;
  readonly heldAt: Date | null;
}
