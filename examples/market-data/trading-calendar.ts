import { tradingCalendar, type TradingCalendar } from 'spine-orchestration';
import { EXCHANGE_CALENDARS, type CalendarEntry } from './exchange-calendar.data';
import { isWeekend } from './market.format';

/** What kind of day a date is on an exchange. */
export interface Session {
  readonly trading: boolean;
  /** Why not, or the early close. */
  readonly note: string | null;
  readonly closeTime: string;
}

/** The session of `date` from a calendar's entries (weekends closed, holidays closed, early closes noted). */
export function sessionOf(mic: string, date: string, entries: readonly CalendarEntry[]): Session {
  const calendar = EXCHANGE_CALENDARS[mic];
  const regularClose = calendar?.regularClose ?? '16:00';
  if (isWeekend(date)) return { trading: false, note: 'weekend', closeTime: regularClose };
  const entry = entries.find((e) => e.date === date);
  if (entry?.kind === 'holiday') return { trading: false, note: `holiday: ${entry.name}`, closeTime: regularClose };
  if (entry?.kind === 'early_close') return { trading: true, note: `early close ${entry.closeTime} (${entry.name})`, closeTime: entry.closeTime ?? regularClose };
  return { trading: true, note: null, closeTime: regularClose };
}

/**
 * An exchange's calendar as spine's public `TradingCalendar` (weekends and full-day holidays
 * closed; early closes are trading days): what a schedule names to fire on trading days only,
 * e.g. `@Schedule('0 18 * * *', { calendar: tradingCalendarOf('XNYS') })`.
 */
export function tradingCalendarOf(mic: string): TradingCalendar {
  const calendar = EXCHANGE_CALENDARS[mic];
  if (calendar === undefined) throw new Error(`No calendar for exchange "${mic}"; known: ${Object.keys(EXCHANGE_CALENDARS).join(', ')}`);
  return tradingCalendar({ name: mic, timeZone: calendar.timeZone, holidays: calendar.entries.filter((e) => e.kind === 'holiday').map((e) => e.date) });
}
