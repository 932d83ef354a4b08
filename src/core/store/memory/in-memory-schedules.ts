import { SpineError } from '../../errors/spine-error';
import type { ScheduleState } from '../../schedule/schedule';
import { FINAL_STATUSES, type RunRecord } from '../records/run-record';
import type { FireOutcome, FireRecord, ScheduleFireWrite } from '../records/store-writes';
import type { SignalRecord } from '../records/signal-record';
import type { Writable } from './in-memory-queue';

/** A fire as kept in memory (its run's status is read when listed). */
type StoredFire = Omit<FireRecord, 'runStatus'>;

/**
 * Schedules, their fires and the signals of the in-memory store, over the store's runs. Every
 * method runs without awaiting in between, so each is one atomic step (as a transaction is).
 */
export class InMemorySchedules {
  private readonly states = new Map<string, Writable<ScheduleState>>();
  private readonly fires = new Map<string, Map<number, StoredFire>>();
  private readonly signals = new Map<string, Writable<SignalRecord>[]>();
  private signalSequence = 0;

  constructor(
    private readonly record: (runId: string) => Writable<RunRecord> | undefined,
    /** The store's clock. */
    private readonly now: () => Date,
  ) {}

  save(schedules: readonly { readonly name: string; readonly workflow: string; readonly paused: boolean }[], now: Date): ScheduleState[] {
    return schedules.map(({ name, workflow, paused }) => {
      let state = this.states.get(name);
      if (state === undefined) {
        state = { name, workflow, paused, cursor: now, updatedAt: now };
        this.states.set(name, state);
      }
      return { ...state };
    });
  }

  list(): ScheduleState[] {
    return [...this.states.values()].map((state) => ({ ...state })).sort((a, b) => a.name.localeCompare(b.name));
  }

  setPaused(name: string, paused: boolean, now: Date): ScheduleState | null {
    const state = this.states.get(name);
    if (state === undefined) return null;
    if (state.paused && !paused && (state.cursor === null || state.cursor < now)) state.cursor = now;
    state.paused = paused;
    state.updatedAt = now;
    return { ...state };
  }

  /**
   * Records the fire (the caller creates the run when it returns `fired`, in the same synchronous
   * step); `admit` runs just before the fire row is recorded and may throw (nothing recorded then).
   */
  fire(fire: ScheduleFireWrite, admit: () => void): FireOutcome {
    const state = this.states.get(fire.schedule);
    if (fire.scheduled) {
      if (state === undefined || state.paused) return { fired: false, reason: 'paused', runId: null };
      if (state.cursor !== null && state.cursor >= fire.fireTime) return { fired: false, reason: 'handled', runId: null };
    }
    let ofSchedule = this.fires.get(fire.schedule);
    if (ofSchedule === undefined) this.fires.set(fire.schedule, (ofSchedule = new Map()));
    const existing = ofSchedule.get(fire.fireTime.getTime());
    if (existing !== undefined) return { fired: false, reason: 'exists', runId: existing.runId };
    admit();
    ofSchedule.set(fire.fireTime.getTime(), {
      schedule: fire.schedule,
      fireTime: fire.fireTime,
      runId: fire.run?.runId ?? null,
      source: fire.source,
      error: fire.error,
      firedAt: this.now(),
    });
    if (fire.scheduled && state !== undefined) {
      state.cursor = fire.fireTime;
      state.updatedAt = this.now();
    }
    return { fired: true, runId: fire.run?.runId ?? null };
  }

  moveCursor(name: string, to: Date): void {
    const state = this.states.get(name);
    if (state !== undefined && (state.cursor === null || state.cursor < to)) {
      state.cursor = to;
      state.updatedAt = this.now();
    }
  }

  listFires(schedule: string, from: Date, to: Date): FireRecord[] {
    return [...(this.fires.get(schedule)?.values() ?? [])]
      .filter((f) => f.fireTime >= from && f.fireTime <= to)
      .sort((a, b) => a.fireTime.getTime() - b.fireTime.getTime())
      .map((f) => this.withStatus(f));
  }

  latestFires(schedules: readonly string[]): FireRecord[] {
    return schedules.flatMap((name) => {
      let latest: StoredFire | undefined;
      for (const f of this.fires.get(name)?.values() ?? []) if (latest === undefined || f.fireTime > latest.fireTime) latest = f;
      return latest === undefined ? [] : [this.withStatus(latest)];
    });
  }

  private withStatus(fire: StoredFire): FireRecord {
    return { ...fire, runStatus: fire.runId === null ? null : (this.record(fire.runId)?.status ?? null) };
  }

  send(runId: string, name: string, payload: unknown, now: Date, dedupeId: string | null): SignalRecord {
    const run = this.record(runId);
    if (run === undefined) throw new SpineError('unknown-run', `Run "${runId}" is not in the run store; the signal "${name}" was not sent.`);
    if (FINAL_STATUSES.includes(run.status)) {
      throw new SpineError('run-finished', `Run "${runId}" of workflow "${run.workflowName}" is ${run.status}; the signal "${name}" was not sent (a completed or cancelled run takes no signals).`);
    }
    let ofRun = this.signals.get(runId);
    if (ofRun === undefined) this.signals.set(runId, (ofRun = []));
    const earlier = dedupeId === null ? undefined : ofRun.find((s) => s.dedupeId === dedupeId);
    if (earlier !== undefined) return { ...earlier };
    const signal: Writable<SignalRecord> = { signalId: ++this.signalSequence, runId, name, payload: structuredClone(payload ?? null), sentAt: now, consumedBy: null, consumedAt: null, dedupeId };
    ofRun.push(signal);
    // only the signal it waits for wakes a parked run, and only once
    if (run.status === 'waiting' && run.leaseOwner === null && run.waitingFor === name && (run.leaseExpiresAt === null || run.leaseExpiresAt > now)) run.leaseExpiresAt = now;
    return { ...signal };
  }

  listSignals(runId: string): SignalRecord[] {
    return (this.signals.get(runId) ?? []).map((s) => ({ ...s }));
  }

  consume(runId: string, name: string, consumer: string, now: Date): SignalRecord | null {
    const ofRun = this.signals.get(runId) ?? [];
    const signal = ofRun.find((s) => s.name === name && s.consumedBy === consumer) ?? ofRun.find((s) => s.name === name && s.consumedBy === null);
    if (signal === undefined) return null;
    if (signal.consumedBy === null) {
      signal.consumedBy = consumer;
      signal.consumedAt = now;
    }
    return { ...signal };
  }

  wake(runId: string, now: Date): void {
    const run = this.record(runId);
    if (run !== undefined && run.status === 'waiting' && run.leaseOwner === null && (run.leaseExpiresAt === null || run.leaseExpiresAt > now)) run.leaseExpiresAt = now;
  }

  /** Forgets what belongs to runs that were dropped. */
  forget(runId: string): void {
    this.signals.delete(runId);
  }
}
