import { SpineError } from '../errors/spine-error';
import { checkEnqueue } from '../store/records/queue-record';
import { checkTimeZone, localDate, type TradingCalendar } from './trading-calendar';

/**
 * What a schedule does with fires missed while no worker ran (or the newest is older than
 * `graceMs`): 'all' fires each of them, oldest first, at most `maxCatchUp` (the newest ones);
 * 'latest' only the newest; 'none' none (a fire on time still fires).
 */
export type CatchUpPolicy = 'all' | 'latest' | 'none';

/** One fire of a schedule, as its params function sees it. */
export interface ScheduleFire {
  readonly schedule: string;
  readonly fireTime: Date;
  /** The fire's calendar date (yyyy-mm-dd) in the schedule's time zone. */
  readonly localDate: string;
  readonly timezone: string;
}

/** The params of a fire's run: fixed, or computed from the fire time (each missed fire from its own). */
export type ScheduleParams = Readonly<Record<string, unknown>> | ((fireTime: Date, fire: ScheduleFire) => Readonly<Record<string, unknown>>);

/** How a schedule fires its workflow (`@Schedule(cron, options)`, `Spine.create({ schedules })`). */
export interface ScheduleOptions {
  /** Unique across the application; default `<workflow>@<cron>`. */
  readonly name?: string;
  /** IANA time zone the cron expression is read in (default: the calendar's, else 'UTC'). DST is handled by the parser. */
  readonly timezone?: string;
  readonly params?: ScheduleParams;
  /** Default 'latest'. */
  readonly catchUp?: CatchUpPolicy;
  /** 'all' fires at most this many missed fires (the newest; default 100); older ones are skipped (a backfill fires them). */
  readonly maxCatchUp?: number;
  /** A fire older than this when it is handled counts as missed (default 60 s). */
  readonly graceMs?: number;
  /** Fires on days this calendar is closed are skipped (a calendar object, or a name from `Spine.create({ calendars })`). */
  readonly calendar?: TradingCalendar | string;
  /** The queue a fire's run goes to (default: the workflow's). */
  readonly queue?: string;
  readonly priority?: number;
  readonly concurrencyKey?: string | null;
  /** Paused when first seen on the database (later, the database's state rules). */
  readonly paused?: boolean;
  readonly description?: string;
}

/** A schedule declared in code: a workflow, a cron expression and its options. */
export interface ScheduleDeclaration extends ScheduleOptions {
  readonly workflow: string;
  /** Five fields (minute hour day-of-month month day-of-week) or six with seconds first; 'FRI', 'JAN' and ranges allowed. */
  readonly cron: string;
}

/** Fire times of a cron expression in a time zone (the adapter implements it with a cron library). */
export interface FireTimes {
  /** The first fire strictly after `after` (null: none ever). */
  next(after: Date): Date | null;
  /** The last fire strictly before `before` (null: none). */
  previous(before: Date): Date | null;
}

/** Compiles a cron expression in a time zone; throws with the parser's reason when it is not valid. */
export type CronCompiler = (cron: string, timezone: string) => FireTimes;

/** A schedule ready to fire. */
export interface ScheduleDefinition {
  readonly name: string;
  readonly workflow: string;
  readonly cron: string;
  readonly timezone: string;
  readonly calendar: TradingCalendar | null;
  readonly catchUp: CatchUpPolicy;
  readonly maxCatchUp: number;
  readonly graceMs: number;
  readonly params: ScheduleParams;
  readonly queue: string | null;
  readonly priority: number;
  readonly concurrencyKey: string | null;
  readonly paused: boolean;
  readonly description: string | null;
  readonly times: FireTimes;
}

/** A schedule's declaration as the database records it (its params are code, not recorded): what a process without its code can show. */
export interface RecordedSchedule {
  readonly cron: string;
  readonly timezone: string;
  readonly calendar: string | null;
  readonly catchUp: CatchUpPolicy;
  readonly description: string | null;
}

/** A schedule's state on the database: paused or not, the newest fire time handled (fired or skipped), and its recorded declaration. */
export interface ScheduleState {
  readonly name: string;
  readonly workflow: string;
  readonly paused: boolean;
  /** Fires up to here are handled; null: none yet. */
  readonly cursor: Date | null;
  readonly updatedAt: Date;
  /** The declaration the process that started last recorded (null: recorded before declarations were). */
  readonly declaration: RecordedSchedule | null;
}

/** A schedule as a process that declares it registers it on the store. */
export interface ScheduleRegistration {
  readonly name: string;
  readonly workflow: string;
  readonly paused: boolean;
  readonly declaration: RecordedSchedule;
}

/** What the database records of a compiled schedule's declaration. */
export function recordedSchedule(schedule: ScheduleDefinition): RecordedSchedule {
  return { cron: schedule.cron, timezone: schedule.timezone, calendar: schedule.calendar?.name ?? null, catchUp: schedule.catchUp, description: schedule.description };
}

const CATCH_UP: readonly CatchUpPolicy[] = ['all', 'latest', 'none'];

/** Checks and compiles a schedule declaration; throws one error naming the schedule and every problem. */
export function compileSchedule(declaration: ScheduleDeclaration, compileCron: CronCompiler, calendars: Readonly<Record<string, TradingCalendar>>): ScheduleDefinition {
  const name = declaration.name ?? `${declaration.workflow}@${declaration.cron}`;
  const where = `schedule "${name}"`;
  const problems: string[] = [];
  const attempt = (check: () => void): void => {
    try {
      check();
    } catch (error) {
      problems.push((error as Error).message.replace(`${where}: `, ''));
    }
  };
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) problems.push('name must be a non-empty string of at most 255 characters');
  if (typeof declaration.workflow !== 'string' || declaration.workflow.length === 0) problems.push('needs the workflow it starts');
  let calendar: TradingCalendar | null = null;
  if (typeof declaration.calendar === 'string') {
    calendar = calendars[declaration.calendar] ?? null;
    if (calendar === null) {
      const known = Object.keys(calendars);
      problems.push(`calendar "${declaration.calendar}" is not registered (${known.length === 0 ? 'no calendars are: pass Spine.create({ calendars })' : `known: ${known.join(', ')}`})`);
    }
  } else if (declaration.calendar !== undefined && declaration.calendar !== null) {
    const given = declaration.calendar as Partial<TradingCalendar>;
    if (typeof given.isTradingDay !== 'function' || typeof given.timeZone !== 'string') problems.push('calendar must be a TradingCalendar ({ name, timeZone, isTradingDay(date) }) or the name of one');
    else calendar = declaration.calendar;
  }
  const timezone = declaration.timezone ?? calendar?.timeZone ?? 'UTC';
  attempt(() => checkTimeZone(where, timezone));
  const catchUp = declaration.catchUp ?? 'latest';
  if (!CATCH_UP.includes(catchUp)) problems.push(`catchUp must be one of ${CATCH_UP.join(', ')} (got ${JSON.stringify(catchUp)})`);
  const maxCatchUp = declaration.maxCatchUp ?? 100;
  if (!(Number.isInteger(maxCatchUp) && maxCatchUp >= 1 && maxCatchUp <= 100_000)) problems.push(`maxCatchUp must be a whole number 1…100000 (got ${String(declaration.maxCatchUp)})`);
  const graceMs = declaration.graceMs ?? 60_000;
  if (!(typeof graceMs === 'number' && graceMs >= 0 && Number.isFinite(graceMs))) problems.push(`graceMs must be a number ≥ 0 (got ${String(declaration.graceMs)})`);
  const params = declaration.params ?? {};
  if (typeof params !== 'function' && (params === null || typeof params !== 'object' || Array.isArray(params))) problems.push('params must be an object or a function of the fire time returning one');
  attempt(() => checkEnqueue(where, declaration));
  let times: FireTimes | null = null;
  if (typeof declaration.cron !== 'string' || declaration.cron.trim().length === 0) problems.push('needs a cron expression such as "0 18 * * FRI"');
  else if (problems.length === 0) {
    try {
      times = compileCron(declaration.cron, timezone);
    } catch (error) {
      problems.push(`cron "${declaration.cron}" is not valid: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0 || times === null) throw new SpineError('invalid-argument', `${where}: ${problems.join('; ')}.`);
  return Object.freeze({
    name,
    workflow: declaration.workflow,
    cron: declaration.cron,
    timezone,
    calendar,
    catchUp,
    maxCatchUp,
    graceMs,
    params,
    queue: declaration.queue ?? null,
    priority: declaration.priority ?? 0,
    concurrencyKey: declaration.concurrencyKey ?? null,
    paused: declaration.paused ?? false,
    description: declaration.description ?? null,
    times,
  });
}

/** The fire as its params function sees it. */
export function fireOf(schedule: ScheduleDefinition, fireTime: Date): ScheduleFire {
  return { schedule: schedule.name, fireTime, localDate: localDate(fireTime, schedule.timezone), timezone: schedule.timezone };
}

/** The params of a fire's run; throws naming the schedule and the fire time when its params function does. */
export function fireParams(schedule: ScheduleDefinition, fireTime: Date): Readonly<Record<string, unknown>> {
  if (typeof schedule.params !== 'function') return schedule.params;
  let params: unknown;
  try {
    params = schedule.params(fireTime, fireOf(schedule, fireTime));
  } catch (error) {
    throw new SpineError('invalid-argument', `schedule "${schedule.name}": params for the fire at ${fireTime.toISOString()} threw: ${(error as Error).message}`);
  }
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new SpineError('invalid-argument', `schedule "${schedule.name}": params for the fire at ${fireTime.toISOString()} must be an object (got ${JSON.stringify(params)}).`);
  }
  return params as Readonly<Record<string, unknown>>;
}

/** True when a fire time falls on a day the schedule's calendar is open (always, without a calendar). */
export function firesOn(schedule: ScheduleDefinition, fireTime: Date): boolean {
  return schedule.calendar === null || schedule.calendar.isTradingDay(localDate(fireTime, schedule.calendar.timeZone));
}

/** At most this many raw cron times are looked at in one scan (a calendar closed for ever must not hang a scan). */
const SCAN_LIMIT = 200_000;

/** Fire times in (after, until], oldest first, on open days of the calendar; at most `limit`. */
export function firesBetween(schedule: ScheduleDefinition, after: Date, until: Date, limit = Number.POSITIVE_INFINITY): Date[] {
  const fires: Date[] = [];
  let at: Date | null = after;
  for (let scanned = 0; fires.length < limit && scanned < SCAN_LIMIT; scanned++) {
    at = schedule.times.next(at);
    if (at === null || at.getTime() > until.getTime()) break;
    if (firesOn(schedule, at)) fires.push(at);
  }
  return fires;
}

/** The next fire times after `after` on open days, at most `count`. */
export function nextFires(schedule: ScheduleDefinition, after: Date, count: number): Date[] {
  return firesBetween(schedule, after, new Date(8_640_000_000_000_000), count);
}

/** The newest `count` fire times in (after, until], on open days, oldest first; and whether older ones were left out. */
function newestFires(schedule: ScheduleDefinition, after: Date, until: Date, count: number): { fires: Date[]; older: boolean } {
  const fires: Date[] = [];
  let at: Date | null = new Date(until.getTime() + 1);
  for (let scanned = 0; scanned < SCAN_LIMIT; scanned++) {
    at = schedule.times.previous(at);
    if (at === null || at.getTime() <= after.getTime()) return { fires: fires.reverse(), older: false };
    if (!firesOn(schedule, at)) continue;
    if (fires.length === count) return { fires: fires.reverse(), older: true };
    fires.push(at);
  }
  return { fires: fires.reverse(), older: true };
}

/** What a scheduler pass does for one schedule: fires to enqueue (oldest first), and how far its cursor moves. */
export interface DueFires {
  readonly fires: readonly Date[];
  /** Fires missed and not fired by the catch-up policy (null: none). */
  readonly skipped: { readonly after: Date; readonly before: Date } | null;
  /** The newest fire time handled by this pass (fired, skipped or on a closed day); null: nothing is due. */
  readonly cursor: Date | null;
}

/**
 * The fires due at `now` of a schedule whose fires up to `cursor` were handled: every fire time in
 * (cursor, now] on an open day, thinned by the catch-up policy. The newest one counts as on time
 * when it is at most `graceMs` old; the rest are missed.
 */
export function dueFires(schedule: ScheduleDefinition, cursor: Date, now: Date): DueFires {
  const newestRaw = schedule.times.previous(new Date(now.getTime() + 1));
  if (newestRaw === null || newestRaw.getTime() <= cursor.getTime()) return { fires: [], skipped: null, cursor: null };
  const wanted = schedule.catchUp === 'all' ? schedule.maxCatchUp : 1;
  const { fires, older } = newestFires(schedule, cursor, now, wanted);
  const newest = fires[fires.length - 1];
  if (newest === undefined) return { fires: [], skipped: null, cursor: newestRaw };
  const onTime = now.getTime() - newest.getTime() <= schedule.graceMs;
  if (schedule.catchUp === 'none' && !onTime) return { fires: [], skipped: { after: cursor, before: new Date(newest.getTime() + 1) }, cursor: newestRaw };
  const skippedOlder = schedule.catchUp !== 'all' ? schedule.times.previous(newest) !== null && hasFireBetween(schedule, cursor, newest) : older;
  return { fires, skipped: skippedOlder ? { after: cursor, before: fires[0]! } : null, cursor: newestRaw };
}

/** True when a fire on an open day lies strictly between `after` and `before`. */
function hasFireBetween(schedule: ScheduleDefinition, after: Date, before: Date): boolean {
  return firesBetween(schedule, after, new Date(before.getTime() - 1), 1).length > 0;
}
