import { SpineError } from '../../errors/spine-error';
import type { ScheduleRegistration, ScheduleState } from '../../schedule/schedule';
import type { FireOutcome, FireRecord, ScheduleFireWrite } from '../records/store-writes';
import type { ScheduleStore } from '../ports/schedule-store.port';
import type { MemoryRuns, Writable } from './memory-runs';

/** A fire as kept in memory (its run's status is read when listed). */
type StoredFire = Omit<FireRecord, 'runStatus'>;

/**
 * Schedules and their fires in the in-memory store, over the store's runs: each fire time once,
 * never while paused; its clock is the store's (there is no database to ask).
 */
export class InMemorySchedules implements ScheduleStore {
  private readonly states = new Map<string, Writable<ScheduleState>>();
  private readonly fires = new Map<string, Map<number, StoredFire>>();

  constructor(private readonly state: MemoryRuns) {}

  /** Memory has no clock of its own: the store's clock is the one every process in it shares. */
  async databaseTime(): Promise<Date> {
    return this.state.now();
  }

  async saveSchedules(schedules: readonly ScheduleRegistration[], now: Date): Promise<ScheduleState[]> {
    return schedules.map(({ name, workflow, paused, declaration }) => {
      let state = this.states.get(name);
      if (state === undefined) {
        state = { name, workflow, paused, cursor: now, updatedAt: now, declaration };
        this.states.set(name, state);
      }
      state.declaration = { ...declaration };
      return { ...state };
    });
  }

  async listScheduleStates(): Promise<ScheduleState[]> {
    return [...this.states.values()].map((state) => ({ ...state })).sort((a, b) => a.name.localeCompare(b.name));
  }

  async setSchedulePaused(name: string, paused: boolean, now: Date): Promise<ScheduleState | null> {
    const state = this.states.get(name);
    if (state === undefined) return null;
    if (state.paused && !paused && (state.cursor === null || state.cursor < now)) state.cursor = now;
    state.paused = paused;
    state.updatedAt = now;
    return { ...state };
  }

  /** Records the fire and creates its run in one synchronous step (a transaction, in effect). */
  async fireSchedule(fire: ScheduleFireWrite): Promise<FireOutcome> {
    const state = this.states.get(fire.schedule);
    if (fire.scheduled) {
      if (state === undefined || state.paused) return { fired: false, reason: 'paused', runId: null };
      if (state.cursor !== null && state.cursor >= fire.fireTime) return { fired: false, reason: 'handled', runId: null };
    }
    let ofSchedule = this.fires.get(fire.schedule);
    if (ofSchedule === undefined) this.fires.set(fire.schedule, (ofSchedule = new Map()));
    const existing = ofSchedule.get(fire.fireTime.getTime());
    if (existing !== undefined) return { fired: false, reason: 'exists', runId: existing.runId };
    if (fire.run !== null && this.state.runs.has(fire.run.runId)) {
      throw new SpineError('invalid-argument', `Run "${fire.run.runId}" already exists; pick another run id for the fire.`);
    }
    const created = fire.run === null ? null : this.state.insert(fire.run);
    const runId = created === null ? null : created.created ? fire.run!.runId : created.run.runId;
    ofSchedule.set(fire.fireTime.getTime(), { schedule: fire.schedule, fireTime: fire.fireTime, runId, source: fire.source, error: fire.error, firedAt: this.state.now() });
    if (fire.scheduled && state !== undefined) {
      state.cursor = fire.fireTime;
      state.updatedAt = this.state.now();
    }
    return { fired: true, runId };
  }

  async moveScheduleCursor(name: string, to: Date): Promise<void> {
    const state = this.states.get(name);
    if (state !== undefined && (state.cursor === null || state.cursor < to)) {
      state.cursor = to;
      state.updatedAt = this.state.now();
    }
  }

  async listFires(schedule: string, from: Date, to: Date): Promise<FireRecord[]> {
    return [...(this.fires.get(schedule)?.values() ?? [])]
      .filter((f) => f.fireTime >= from && f.fireTime <= to)
      .sort((a, b) => a.fireTime.getTime() - b.fireTime.getTime())
      .map((f) => this.withStatus(f));
  }

  async latestFires(schedules: readonly string[]): Promise<FireRecord[]> {
    return schedules.flatMap((name) => {
      let latest: StoredFire | undefined;
      for (const f of this.fires.get(name)?.values() ?? []) if (latest === undefined || f.fireTime > latest.fireTime) latest = f;
      return latest === undefined ? [] : [this.withStatus(latest)];
    });
  }

  private withStatus(fire: StoredFire): FireRecord {
    return { ...fire, runStatus: fire.runId === null ? null : (this.state.runs.get(fire.runId)?.record.status ?? null) };
  }
}
