import { reachedEnd } from '../store/records/run-record';
import type { WorkflowContext } from '../context/workflow-context';
import type { WorkflowDefinition } from '../definition/workflow-definition';
import { RECORD_LIMITS } from '../store/record-limits';
import type { LeaseGuard } from './lease-guard';
import type { RunnerServices, RunSettings } from './run-settings';
import type { WorkflowResult } from './workflow-result';

/** What a map item's run takes from its parent's execution. */
export interface ParentRun {
  readonly services: RunnerServices;
  readonly settings: RunSettings;
  readonly runId: string;
  readonly rootRunId: string;
  readonly cancellable: boolean;
  readonly yieldSignal: AbortSignal | null;
  readonly guard: LeaseGuard | null;
}

/** Executes a run with the given settings (the runner's execution: passed in, so this module does not depend on it). */
export type ExecuteRun = (definition: WorkflowDefinition, ctx: WorkflowContext, settings: RunSettings) => Promise<WorkflowResult>;

/**
 * Runs a map item as a child run of `parent`, fenced by the parent's claim (its top-level run's).
 * With `asRun` false it runs unrecorded: its map keeps it as an item row instead.
 * In a durable store the item is recorded as a run of its own (parent_run_id set, its run id as
 * idempotency key): an item that completed before a crash or failure is not run again (its
 * recorded result is returned), an unfinished one is resumed.
 */
export async function runMapItem(parent: ParentRun, execute: ExecuteRun, definition: WorkflowDefinition, ctx: WorkflowContext, signal: AbortSignal, asRun = true): Promise<WorkflowResult> {
  const { services, settings: parentSettings } = parent;
  const persist = asRun && parentSettings.persist;
  const depth = parentSettings.depth + 1;
  if (depth > RECORD_LIMITS.mapDepth) {
    throw new Error(
      `map items of run "${parent.rootRunId}" are nested ${depth} levels deep; at most ${RECORD_LIMITS.mapDepth} are allowed ` + '(a map whose iterator maps again). Flatten the iteration.',
    );
  }
  const settings: RunSettings = {
    dryRun: parentSettings.dryRun,
    startFrom: null,
    signal,
    raceAborts: parent.cancellable,
    // a stop or hand-off of the parent stops its items at their next step boundary
    stopSignal: parent.yieldSignal,
    handoffSignal: null,
    persist,
    leased: false,
    keepEvents: false,
    parentRunId: parent.runId,
    rootRunId: parent.rootRunId,
    guard: parent.guard,
    depth,
    resume: null,
    parkAfterMs: null,
  };
  if (!persist) return execute(definition, ctx, settings);
  const own = ctx.withFields({ idempotencyKey: ctx.runId });
  const existing = await services.store.journal.getRun(ctx.runId);
  if (existing === null || reachedEnd(existing.status)) return execute(definition, own, settings);
  const records = await services.store.journal.getRunSteps(ctx.runId);
  // still 'running': its last execution neither finished nor stopped (lost with its process or its claim)
  const resume = { run: existing, records, claim: null, lost: existing.status === 'running' };
  return execute(definition, own.withMetadata({ resumed: true }), { ...settings, resume });
}
