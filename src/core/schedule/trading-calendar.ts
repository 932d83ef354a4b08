import { SpineError } from '../errors/spine-error';

/**
 * A trading calendar: which days an exchange (or any business calendar) is open. A schedule that
 * names one skips fire times on closed days (the fire's date read in the calendar's time zone).
 */
export interface TradingCalendar {
  /** How schedules name it (an exchange's MIC such as 'XNYS', or any name). */
  readonly name: string;
  /** The IANA time zone its dates are in ('America/New_York'). */
  readonly timeZone: string;
  /** True when `date` (yyyy-mm-dd, in the calendar's time zone) is a trading day. */
  isTradingDay(date: string): boolean;
}

/** What `tradingCalendar` builds a calendar from. */
export interface TradingCalendarInit {
  readonly name: string;
  readonly timeZone: string;
  /** Closed dates (yyyy-mm-dd), besides weekends. */
  readonly holidays: Iterable<string>;
  /** Closed days of the week, 0 = Sunday (default Saturday and Sunday). */
  readonly weekend?: readonly number[];
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The weekday (0 = Sunday) of a yyyy-mm-dd date; throws naming a malformed one. */
export function weekdayOf(date: string): number {
  const match = DATE.exec(date);
  const at = match === null ? Number.NaN : Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== date) {
    throw new SpineError('invalid-argument', `"${date}" is not a date of the form yyyy-mm-dd.`);
  }
  return new Date(at).getUTCDay();
}

/** A calendar closed on weekends and the holidays given. */
export function tradingCalendar(init: TradingCalendarInit): TradingCalendar {
  checkTimeZone(`calendar "${init.name}"`, init.timeZone);
  const holidays = new Set<string>();
  for (const day of init.holidays) {
    weekdayOf(day);
    holidays.add(day);
  }
  const weekend = new Set(init.weekend ?? [0, 6]);
  return Object.freeze({
    name: init.name,
    timeZone: init.timeZone,
    isTradingDay: (date: string): boolean => !weekend.has(weekdayOf(date)) && !holidays.has(date),
  });
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date (yyyy-mm-dd) of an instant in a time zone. */
export function localDate(at: Date | number, timeZone: string): string {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, format);
  }
  return format.format(at);
}

/** Throws naming `where` when `timeZone` is not an IANA time zone this Node knows. */
export function checkTimeZone(where: string, timeZone: unknown): asserts timeZone is string {
  try {
    if (typeof timeZone !== 'string' || timeZone.length === 0) throw new RangeError();
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new SpineError('invalid-argument', `${where}: timezone ${JSON.stringify(timeZone)} is not an IANA time zone (like 'America/New_York' or 'UTC').`);
  }
}
