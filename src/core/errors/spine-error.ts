/** Every kind of error the framework raises itself; check with `error.kind === '…'`. */
export type SpineErrorKind =
  | 'invalid-definition'
  | 'invalid-argument'
  | 'invalid-context'
  | 'duplicate-pipeline'
  | 'unknown-pipeline'
  | 'unknown-workflow'
  | 'unknown-run'
  | 'unknown-schedule'
  | 'unknown-step'
  | 'unsafe-key'
  | 'unserializable-value'
  | 'validation-failed'
  | 'invalid-plan'
  | 'registry-frozen'
  | 'startup-failed'
  | 'closed'
  | 'definition-changed'
  | 'lease-lost'
  | 'lease-held'
  | 'run-interrupted'
  | 'run-in-progress'
  | 'run-finished'
  | 'idempotency-conflict'
  | 'limit-exceeded'
  | 'corrupt-record'
  | 'timeout';

/** Base class of the framework's errors: one `kind` to branch on, a message that names the fix. */
export class SpineError extends Error {
  override readonly name: string = 'SpineError';

  constructor(
    readonly kind: SpineErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A definition with one or more problems; `problems` lists every one found in a single pass. */
export class WorkflowDefinitionError extends SpineError {
  override readonly name = 'WorkflowDefinitionError';

  constructor(
    readonly subject: string,
    readonly problems: readonly string[],
  ) {
    super('invalid-definition', formatProblems(subject, problems));
  }
}

/** Builds "<subject> has N problems:\n  - a\n  - b" (or a single-line form for one problem). */
export function formatProblems(subject: string, problems: readonly string[]): string {
  if (problems.length === 1) return `${subject}: ${problems[0]}`;
  return `${subject} has ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}

/** Who holds a run now: what a store reports when it refuses a stale writer. */
export interface LeaseHolderInfo {
  readonly owner: string | null;
  readonly epoch: number;
  readonly status: string;
}

/**
 * The claim an execution writes under is no longer the run's latest: another execution claimed
 * it (or it finished elsewhere). The writer was fenced off: nothing of the refused write was kept,
 * and the execution stops at once.
 */
export class LeaseLostError extends SpineError {
  override readonly name = 'LeaseLostError';

  constructor(
    /** The run whose write was refused (a map item's run, or the claimed run itself). */
    readonly runId: string,
    /** The claim the refused write was made under. */
    readonly fence: { readonly runId: string; readonly epoch: number; readonly owner: string },
    /** Who holds the claimed run now (null: unknown, or the run is gone). */
    readonly holder: LeaseHolderInfo | null,
    /** How long this execution had gone without renewing its lease, when known. */
    readonly silentMs: number | null = null,
  ) {
    super('lease-lost', leaseLostMessage(runId, fence, holder, silentMs));
  }
}

function leaseLostMessage(runId: string, fence: { readonly runId: string; readonly epoch: number; readonly owner: string }, holder: LeaseHolderInfo | null, silentMs: number | null): string {
  const subject = runId === fence.runId ? `Run "${runId}"` : `Map item run "${runId}": its run "${fence.runId}"`;
  const silence = silentMs === null ? '' : ` had not renewed its lease for ${(silentMs / 1000).toFixed(1)} s (paused, starved or cut off from the database)`;
  const stopped = 'this execution stopped and recorded nothing more (completed steps are kept)';
  if (holder === null) return `${subject} is no longer in the store (deleted while it ran); ${stopped}.`;
  if (holder.epoch > fence.epoch) {
    const sameProcess = holder.owner === fence.owner;
    const who = sameProcess ? `again by this same owner (${fence.owner})` : holder.owner === null ? 'by another execution' : `by another execution (owner ${holder.owner})`;
    const now = holder.status === 'running' || holder.status === 'waiting' ? '' : ` (the run is ${holder.status} by now)`;
    return (
      `${subject} was claimed ${who} at epoch ${holder.epoch}${now} while this one (epoch ${fence.epoch}${sameProcess ? '' : `, owner ${fence.owner}`})` + `${silence || ' still ran'}; ${stopped}.`
    );
  }
  if (holder.epoch === fence.epoch && holder.owner === fence.owner && (holder.status === 'running' || holder.status === 'waiting')) {
    return (
      `${subject}: its lease expired before this execution (epoch ${fence.epoch}, owner ${fence.owner}) renewed it${silence}; a queue run's ` +
      `expired lease is not taken back (its queue slot may be another run's by now): a worker claims the run again; ${stopped}.`
    );
  }
  return `${subject} is ${holder.status} and no longer held by this execution (epoch ${fence.epoch}, owner ${fence.owner}); ${stopped}.`;
}

/**
 * True for errors that end an execution instead of failing a step: its claim went stale, or the
 * run store failed under it. A step attempt passes them on rather than recording a failed step.
 */
export function endsExecution(error: unknown): boolean {
  return error instanceof LeaseLostError || (error instanceof SpineError && error.kind === 'run-interrupted');
}
