import type { ScheduleRegistration, ScheduleState } from '../../schedule/schedule';
import type { FireOutcome, FireRecord, ScheduleFireWrite } from '../records/store-writes';

/** Port: schedules' state (paused, cursor) and their fires, one per (schedule, fire time) however many processes fire it; and the database's clock the schedulers decide by. */
export interface ScheduleStore {
  /**
   * The database's own clock (a shared store: every process reads the same time). The
   * schedulers decide what is due by it, so a process whose clock runs fast fires nothing early
   * and skips nothing, and one whose clock runs slow delays nothing.
   */
  databaseTime(): Promise<Date>;
  /**
   * Registers schedules declared in code that the store does not know yet (paused as declared,
   * cursor `now`: a new schedule does not fire its past), records each one's declaration (so a
   * process without the code lists it), and returns the state of each name given.
   */
  saveSchedules(schedules: readonly ScheduleRegistration[], now: Date): Promise<ScheduleState[]>;
  /** Every schedule the store knows, by name. */
  listScheduleStates(): Promise<ScheduleState[]>;
  /**
   * Pauses or resumes a schedule (null when the store does not know it). Resuming moves its cursor
   * to `now`: fires that fell while it was paused are not caught up (a backfill fires them).
   */
  setSchedulePaused(name: string, paused: boolean, now: Date): Promise<ScheduleState | null>;
  /**
   * Records a fire keyed by (schedule, fire time) and creates its queued run, in one transaction:
   * a fire time already recorded creates nothing (`exists`), so processes firing the same time
   * fire it once. See `ScheduleFireWrite.scheduled` for a scheduler's fire.
   */
  fireSchedule(fire: ScheduleFireWrite): Promise<FireOutcome>;
  /** Moves a schedule's cursor forward to `to` (fires skipped by its catch-up policy or its calendar); never back. */
  moveScheduleCursor(name: string, to: Date): Promise<void>;
  /** The fires of a schedule with fire times in [from, to], oldest first, each with its run's status. */
  listFires(schedule: string, from: Date, to: Date): Promise<FireRecord[]>;
  /** The newest fire of each schedule named. */
  latestFires(schedules: readonly string[]): Promise<FireRecord[]>;
}
