import { reachedEnd } from '../store/records/run-record';
import { createHash } from 'node:crypto';
import type { WorkflowContext } from '../context/workflow-context';
import type { WorkflowDefinition } from '../definition/workflow-definition';
import { RECORD_LIMITS } from '../store/record-limits';
import type { RunSettings } from './run-settings';
import type { WorkflowResult } from './workflow-result';
import { RunExecution } from './run-execution';

/** Longest run id a store keeps (its column). */
const STORED_RUN_ID_LENGTH = 255;

/**
 * The run id of a map item: `<step idempotency key>:<index>`, which starts with the top-level
 * run's id; when that is longer than a store keeps, `<top-level run id>:~<hash of it>` instead.
 */
export function mapItemRunId(stepKey: string, index: number, rootRunId: string): string {
  const natural = `${stepKey}:${index}`;
  if (natural.length <= STORED_RUN_ID_LENGTH) return natural;
  return `${rootRunId}:~${createHash('sha256').update(natural).digest('base64url').slice(0, 32)}`;
}

/**
 * Runs a map item as a child run of `parent`, fenced by the parent's claim (its top-level run's).
 * With `asRun` false it runs unrecorded: its map keeps it as an item row instead.
 * In a durable store the item is recorded as a run of its own (parent_run_id set, its run id as
 * idempotency key): an item that completed before a crash or failure is not run again (its
 * recorded result is returned), an unfinished one is resumed.
 */
export async function runMapItem(parent: RunExecution, definition: WorkflowDefinition, ctx: WorkflowContext, signal: AbortSignal, asRun = true): Promise<WorkflowResult> {
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
  if (!persist) return new RunExecution(services, definition, ctx, settings).run();
  const own = ctx.withFields({ idempotencyKey: ctx.runId });
  const existing = await services.store.journal.getRun(ctx.runId);
  if (existing === null || reachedEnd(existing.status)) return new RunExecution(services, definition, own, settings).run();
  const records = await services.store.journal.getRunSteps(ctx.runId);
  // still 'running': its last execution neither finished nor stopped (lost with its process or its claim)
  const resume = { run: existing, records, claim: null, lost: existing.status === 'running' };
  return new RunExecution(services, definition, own.withMetadata({ resumed: true }), { ...settings, resume }).run();
}
