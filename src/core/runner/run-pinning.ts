import { SpineError } from '../errors/spine-error';
import type { WorkflowDefinition, WorkflowLookup } from '../definition/workflow-definition';
import { workflowHash } from '../definition/workflow-spec';
import type { SpineLogger } from '../logging/logger.port';
import type { SpineStore } from '../store/ports/spine-store';
import type { Fence, RunRecord } from '../store/records/run-record';
import type { RunEvent, RunEventListener } from './run-event';

/** What identifies the definition a run started on. */
export type RunPin = Pick<RunRecord, 'workflowName' | 'workflowVersion' | 'workflowHash'>;

/** "definition 1a2b3c4d5e6f" */
export const shortHash = (hash: string): string => hash.slice(0, 12);

/** The versions of `name` this process holds, as a phrase ("version 2 (definition …)", or "no version"). */
export function heldVersions(workflows: WorkflowLookup | null, name: string): string {
  const versions = workflows?.versions?.(name) ?? (workflows?.get(name) === undefined ? [] : [workflows.get(name)!]);
  if (versions.length === 0) return 'no version of it';
  return versions.map((d) => `version ${d.version} (definition ${shortHash(workflowHash(d))})`).join(', ');
}

/** Why a process cannot execute a run pinned to a definition it lacks, and what fixes it. */
export function pinnedElsewhere(where: string, run: RunPin, workflows: WorkflowLookup | null): string {
  return (
    `${where} started on version ${run.workflowVersion} (definition ${shortHash(run.workflowHash)}); this process holds ${heldVersions(workflows, run.workflowName)}. ` +
    `A process that holds its definition runs it: keep that version registered beside the new one (a class with the same name and version ${run.workflowVersion}) until its runs drain, ` +
    `or move it on: \`spine migrate-runs ${run.workflowName} --from ${run.workflowVersion} --dry-run\` (spine.migrateRuns), ` +
    `or continue it by step name with onDefinitionChange: 'continue'.`
  );
}

/** The error of a resume or requeue of a run whose definition this process lacks. */
export function definitionChanged(where: string, run: RunPin, workflows: WorkflowLookup | null): SpineError {
  return new SpineError('definition-changed', `${pinnedElsewhere(where, run, workflows)} Or resume it with { allowDefinitionChange: true } (\`spine resume --allow-definition-change\`).`);
}

/** The event of a run this process met but cannot execute: it lacks the definition the run is pinned to. */
export function strandedEvent(run: RunPin & Pick<RunRecord, 'runId' | 'traceId'>, reason: string, now: number): RunEvent {
  return { type: 'run_stranded', runId: run.runId, traceId: run.traceId, workflow: run.workflowName, timestamp: now, reason, version: run.workflowVersion, hash: run.workflowHash };
}

/** Tells the run's log and the application's listener, without failing the caller when a listener throws. */
export async function recordRunEvent(store: SpineStore, event: RunEvent, onEvent: RunEventListener | null, logger: SpineLogger): Promise<void> {
  await store.journal.recordEvents([event], null);
  try {
    onEvent?.(event);
  } catch (error) {
    logger.warn({ runId: event.runId, traceId: event.traceId }, `an onEvent listener threw on ${event.type}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Moves a run onto `definition` (its changed definition: the run continues on it by step name)
 * under the claim's fence (null: a run nobody holds, as a requeue moves it), and records
 * `run_migrated`. Returns the run as it now is; throws `lease-lost` when the run changed meanwhile.
 */
export async function continueOnChanged(
  store: SpineStore,
  run: RunRecord,
  fence: Fence | null,
  definition: WorkflowDefinition,
  now: number,
  tell: (event: RunEvent) => Promise<void>,
): Promise<RunRecord> {
  const to = { version: definition.version, hash: workflowHash(definition), totalSteps: definition.steps.length };
  if (to.hash === run.workflowHash) return run;
  const moved = await store.journal.moveRun(run.runId, { fromHash: run.workflowHash, to, renames: {}, fence }, new Date(now));
  if (moved === null) {
    throw new SpineError('lease-lost', `Run "${run.runId}" of workflow "${run.workflowName}" changed while it was being moved to version ${to.version}; another process holds it now.`);
  }
  await tell(migratedEvent(run, to, 'continue', {}, now));
  return moved;
}

/** The event of a run moved from its definition to `to` (by a process continuing it, or by a migration, with the steps it renamed). */
export function migratedEvent(
  run: RunPin & Pick<RunRecord, 'runId' | 'traceId'>,
  to: { readonly version: number; readonly hash: string },
  by: 'continue' | 'migrate',
  renames: Readonly<Record<string, string>>,
  now: number,
): RunEvent {
  return {
    type: 'run_migrated',
    runId: run.runId,
    traceId: run.traceId,
    workflow: run.workflowName,
    timestamp: now,
    from: { version: run.workflowVersion, hash: run.workflowHash },
    to: { version: to.version, hash: to.hash },
    by,
    ...(Object.keys(renames).length > 0 && { renames }),
  };
}
