/** Price sources in the default order of trust: the exchange's official close first. */
export const DEFAULT_SOURCES = ['exchange', 'vendor_a', 'vendor_b'] as const;

/** The exchanges whose calendars ship with the example. */
export const EXCHANGES = ['XNYS', 'XNAS', 'XLON'] as const;

/** A daily move larger than this (either way) is treated as a bad print until someone looks. */
export const EXTREME_MOVE = 0.5;

/** The CSV columns of a source's monthly price file. */
export const PRICE_HEADER = 'date,symbol,close,volume,as_of';

/** yyyy-mm-dd plus `days`. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** True on Saturdays and Sundays. */
export function isWeekend(date: string): boolean {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 || day === 6;
}

/** Every yyyy-mm from `from` to `to`, both included. */
export function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  let [year, month] = from.split('-').map(Number) as [number, number];
  for (let key = from; key <= to; key = `${year}-${String(month).padStart(2, '0')}`) {
    months.push(key);
    month++;
    if (month > 12) [year, month] = [year + 1, 1];
  }
  return months;
}

/** Every date of a yyyy-mm month. */
export function daysOf(month: string): string[] {
  const days: string[] = [];
  for (let day = `${month}-01`; day.startsWith(month); day = addDays(day, 1)) days.push(day);
  return days;
}
