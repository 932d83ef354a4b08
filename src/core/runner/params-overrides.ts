import { SpineError } from '../errors/spine-error';
import type { WorkflowContext } from '../context/workflow-context';
import type { RunRecord, StoredRunEvent } from '../store/records/run-record';
import type { RunEvent } from './run-event';

/** Who overrides params when the caller does not say. */
export const DEFAULT_OVERRIDE_BY = 'api';

/** A resume's or requeue's `by`, checked (the default when absent). */
export function overrideBy(by: unknown): string {
  if (by === undefined) return DEFAULT_OVERRIDE_BY;
  if (typeof by !== 'string' || by.length === 0 || by.length > 255) throw new SpineError('invalid-argument', `by must be a non-empty string of at most 255 characters (got ${JSON.stringify(by)}).`);
  return by;
}

/** The record of a params override (null when nothing is overridden): who, how, which fields, their values before and after. */
export function overrideEvent(run: RunRecord, override: Readonly<Record<string, unknown>> | undefined, by: string, via: 'resume' | 'requeue', now: number): RunEvent | null {
  if (override === undefined) return null;
  const fields = Object.keys(override);
  if (fields.length === 0) return null;
  const previous: Record<string, unknown> = {};
  for (const field of fields) if (Object.prototype.hasOwnProperty.call(run.params, field)) previous[field] = run.params[field];
  return { type: 'params_overridden', runId: run.runId, traceId: run.traceId, workflow: run.workflowName, timestamp: now, by, via, fields, values: { ...override }, previous };
}

/**
 * Replays a run's params overrides onto a context rebuilt from its original params, in the order
 * they were made: `before(time)` applies every override made up to `time` (a step's start), so
 * each step's rebuilt context shows the params that step ran with.
 */
export class OverrideReplay {
  private next = 0;
  private readonly overrides: readonly { readonly at: number; readonly values: Readonly<Record<string, unknown>> }[];

  constructor(events: readonly StoredRunEvent[]) {
    this.overrides = events
      .filter((e) => e.type === 'params_overridden')
      .map((e) => ({ at: e.at.getTime(), values: ((e.payload as { values?: Record<string, unknown> }).values ?? {}) as Readonly<Record<string, unknown>> }))
      .sort((a, b) => a.at - b.at);
  }

  before(context: WorkflowContext, time: number): WorkflowContext {
    let ctx = context;
    while (this.next < this.overrides.length && this.overrides[this.next]!.at <= time) ctx = ctx.withUpdates(this.overrides[this.next++]!.values);
    return ctx;
  }
}
