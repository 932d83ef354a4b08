import type { Clock } from '../clock/clock.port';
import { messageOf } from '../errors/step-error';
import { LeaseLostError } from '../errors/spine-error';
import type { Fence } from '../store/records/run-record';
import type { RunJournal } from '../store/ports/run-journal.port';
import type { RunEvent, RunEventInit, RunEventListener, RunEventType } from './run-event';
import { consoleLogger, type LogFields, type SpineLogger } from '../logging/logger.port';

/** Events a store need not keep: its step rows tell them (a step's start, end, retry or skip, with times). */
const TOLD_BY_STEP_ROWS: ReadonlySet<RunEventType> = new Set<RunEventType>(['step_started', 'step_completed', 'step_failed', 'step_retried', 'step_skipped']);

/** Where a run's events go: kept on the result, handed to the listener, saved in batches to a store that keeps them. */
export class RunEventLog {
  readonly events: RunEvent[] = [];
  private readonly unsaved: RunEvent[] = [];

  constructor(
    private readonly identity: { readonly runId: string; readonly traceId: string; readonly workflow: string; readonly parentRunId: string | null },
    private readonly clock: Clock,
    private readonly keep: boolean,
    private readonly listener: RunEventListener | null,
    /** The store to save events to, or null when they are not saved. */
    private readonly store: RunJournal | null,
    /** The claim the events are written under: a stale execution's events are refused. */
    private readonly fence: Fence | null = null,
    private readonly logger: SpineLogger = consoleLogger,
  ) {}

  /** The fields of a log record about this run. */
  private fields(step: string | undefined): LogFields {
    const { runId, traceId, workflow } = this.identity;
    return { runId, workflow, traceId, ...(step !== undefined && { step }) };
  }

  /** Emits one event (the log adds the run's fields and the time). */
  emit(init: RunEventInit): void {
    const event = this.make(init);
    if (event !== null) this.dispatch(event, true);
  }

  /** Builds an event as `emit` would, without handing it on (null when nobody takes events). */
  make(init: RunEventInit): RunEvent | null {
    if (!this.keep && this.listener === null && this.store === null) return null;
    const { runId, traceId, workflow, parentRunId } = this.identity;
    const event = { runId, traceId, workflow, timestamp: this.clock.now(), ...init } as RunEvent;
    if (parentRunId !== null) (event as { parentRunId?: string }).parentRunId = parentRunId;
    return event;
  }

  /** Hands an event to the result, the store (when `save` and it keeps that type) and the listener. */
  dispatch(event: RunEvent, save: boolean): void {
    if (this.keep) this.events.push(event);
    if (save && this.store !== null && !TOLD_BY_STEP_ROWS.has(event.type)) {
      this.unsaved.push(event);
      if (this.unsaved.length >= 64) void this.save();
    }
    if (this.listener !== null) {
      try {
        this.listener(event);
      } catch (error) {
        this.logger.warn(this.fields(event.step), `an onEvent listener threw on ${event.type}: ${messageOf(error)}`);
      }
    }
  }

  /**
   * Takes the events not saved yet, and `last` when the store keeps it, for a write that saves
   * them itself: a run's finish writes them in its own transaction.
   */
  drain(last: RunEvent | null): RunEvent[] {
    if (this.store === null) return [];
    const events = this.unsaved.splice(0, this.unsaved.length);
    if (last !== null && !TOLD_BY_STEP_ROWS.has(last.type)) events.push(last);
    return events;
  }

  /** Hands a progress event to the listener alone: frequent, and of no use once the run is over. */
  progress(step: string, done: number, failed: number, total: number): void {
    if (this.listener === null) return;
    const { runId, traceId, workflow, parentRunId } = this.identity;
    const event: RunEvent = { type: 'map_progress', runId, traceId, workflow, timestamp: this.clock.now(), step, done, failed, total };
    if (parentRunId !== null) (event as { parentRunId?: string }).parentRunId = parentRunId;
    try {
      this.listener(event);
    } catch (error) {
      this.logger.warn(this.fields(step), `an onEvent listener threw on map_progress: ${messageOf(error)}`);
    }
  }

  /** Writes the events not saved yet; failing to keep logs never fails the run. */
  async save(): Promise<void> {
    if (this.store === null || this.unsaved.length === 0) return;
    const batch = this.unsaved.splice(0, this.unsaved.length);
    try {
      await this.store.recordEvents(batch, this.fence);
    } catch (error) {
      // a stale execution's events are not the run's: the newer execution records its own
      if (error instanceof LeaseLostError) return;
      this.logger.warn(this.fields(undefined), `${batch.length} events of run ${this.identity.runId} could not be stored: ${messageOf(error)}`);
    }
  }
}
