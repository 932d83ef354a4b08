/**
 * Exchange calendars shipped with the example, 2025–2027: full-day closures and early closes.
 * NYSE (XNYS) and Nasdaq (XNAS) share one schedule; the London Stock Exchange (XLON) follows UK
 * bank holidays. Early closes are at 13:00 New York time (US) and 12:30 London time (XLON).
 */

/** One non-regular session of an exchange. */
export interface CalendarEntry {
  readonly date: string;
  readonly kind: 'holiday' | 'early_close';
  readonly name: string;
  /** Local closing time of an early close. */
  readonly closeTime?: string;
}

/** An exchange's identity and its non-regular sessions. */
export interface ExchangeCalendar {
  readonly mic: string;
  readonly name: string;
  readonly timeZone: string;
  readonly regularClose: string;
  readonly entries: readonly CalendarEntry[];
}

const holiday = (date: string, name: string): CalendarEntry => ({ date, kind: 'holiday', name });
const early = (date: string, name: string, closeTime: string): CalendarEntry => ({ date, kind: 'early_close', name, closeTime });

const US_ENTRIES: readonly CalendarEntry[] = [
  holiday('2025-01-01', "New Year's Day"),
  holiday('2025-01-09', 'National Day of Mourning for President Jimmy Carter'),
  holiday('2025-01-20', 'Martin Luther King, Jr. Day'),
  holiday('2025-02-17', "Washington's Birthday"),
  holiday('2025-04-18', 'Good Friday'),
  holiday('2025-05-26', 'Memorial Day'),
  holiday('2025-06-19', 'Juneteenth National Independence Day'),
  early('2025-07-03', 'Day before Independence Day', '13:00'),
  holiday('2025-07-04', 'Independence Day'),
  holiday('2025-09-01', 'Labor Day'),
  holiday('2025-11-27', 'Thanksgiving Day'),
  early('2025-11-28', 'Day after Thanksgiving', '13:00'),
  early('2025-12-24', 'Christmas Eve', '13:00'),
  holiday('2025-12-25', 'Christmas Day'),
  holiday('2026-01-01', "New Year's Day"),
  holiday('2026-01-19', 'Martin Luther King, Jr. Day'),
  holiday('2026-02-16', "Washington's Birthday"),
  holiday('2026-04-03', 'Good Friday'),
  holiday('2026-05-25', 'Memorial Day'),
  holiday('2026-06-19', 'Juneteenth National Independence Day'),
  holiday('2026-07-03', 'Independence Day (observed)'),
  holiday('2026-09-07', 'Labor Day'),
  holiday('2026-11-26', 'Thanksgiving Day'),
  early('2026-11-27', 'Day after Thanksgiving', '13:00'),
  early('2026-12-24', 'Christmas Eve', '13:00'),
  holiday('2026-12-25', 'Christmas Day'),
  holiday('2027-01-01', "New Year's Day"),
  holiday('2027-01-18', 'Martin Luther King, Jr. Day'),
  holiday('2027-02-15', "Washington's Birthday"),
  holiday('2027-03-26', 'Good Friday'),
  holiday('2027-05-31', 'Memorial Day'),
  holiday('2027-06-18', 'Juneteenth National Independence Day (observed)'),
  holiday('2027-07-05', 'Independence Day (observed)'),
  holiday('2027-09-06', 'Labor Day'),
  holiday('2027-11-25', 'Thanksgiving Day'),
  early('2027-11-26', 'Day after Thanksgiving', '13:00'),
  holiday('2027-12-24', 'Christmas Day (observed)'),
];

const UK_ENTRIES: readonly CalendarEntry[] = [
  holiday('2025-01-01', "New Year's Day"),
  holiday('2025-04-18', 'Good Friday'),
  holiday('2025-04-21', 'Easter Monday'),
  holiday('2025-05-05', 'Early May bank holiday'),
  holiday('2025-05-26', 'Spring bank holiday'),
  holiday('2025-08-25', 'Summer bank holiday'),
  early('2025-12-24', 'Christmas Eve', '12:30'),
  holiday('2025-12-25', 'Christmas Day'),
  holiday('2025-12-26', 'Boxing Day'),
  early('2025-12-31', "New Year's Eve", '12:30'),
  holiday('2026-01-01', "New Year's Day"),
  holiday('2026-04-03', 'Good Friday'),
  holiday('2026-04-06', 'Easter Monday'),
  holiday('2026-05-04', 'Early May bank holiday'),
  holiday('2026-05-25', 'Spring bank holiday'),
  holiday('2026-08-31', 'Summer bank holiday'),
  early('2026-12-24', 'Christmas Eve', '12:30'),
  holiday('2026-12-25', 'Christmas Day'),
  holiday('2026-12-28', 'Boxing Day (substitute day)'),
  early('2026-12-31', "New Year's Eve", '12:30'),
  holiday('2027-01-01', "New Year's Day"),
  holiday('2027-03-26', 'Good Friday'),
  holiday('2027-03-29', 'Easter Monday'),
  holiday('2027-05-03', 'Early May bank holiday'),
  holiday('2027-05-31', 'Spring bank holiday'),
  holiday('2027-08-30', 'Summer bank holiday'),
  early('2027-12-24', 'Christmas Eve', '12:30'),
  holiday('2027-12-27', 'Christmas Day (substitute day)'),
  holiday('2027-12-28', 'Boxing Day (substitute day)'),
  early('2027-12-31', "New Year's Eve", '12:30'),
];

/** The calendars by MIC. */
export const EXCHANGE_CALENDARS: Readonly<Record<string, ExchangeCalendar>> = {
  XNYS: { mic: 'XNYS', name: 'New York Stock Exchange', timeZone: 'America/New_York', regularClose: '16:00', entries: US_ENTRIES },
  XNAS: { mic: 'XNAS', name: 'Nasdaq', timeZone: 'America/New_York', regularClose: '16:00', entries: US_ENTRIES },
  XLON: { mic: 'XLON', name: 'London Stock Exchange', timeZone: 'Europe/London', regularClose: '16:30', entries: UK_ENTRIES },
};

/** Years the shipped calendars cover. */
export const CALENDAR_YEARS = [2025, 2026, 2027] as const;
