/** The FINRA OTC transparency weekly file format: pipe-delimited, one row per symbol × venue × week. */
export const OTC_HEADER = 'tierDescription|issueSymbolIdentifier|issueName|marketParticipantName|MPID|totalWeeklyShareQuantity|totalWeeklyTradeCount|lastUpdateDate';

/** The three tiers FINRA publishes, and the short code used in file names and capture ids. */
export const TIERS = ['NMS Tier 1', 'NMS Tier 2', 'OTC'] as const;
export type Tier = (typeof TIERS)[number];
export const TIER_CODES: Readonly<Record<Tier, string>> = { 'NMS Tier 1': 't1', 'NMS Tier 2': 't2', OTC: 'otc' };

/** The weekly file of a tier: `weekly/2026-10-23_t1.psv`. */
export function weeklyFileName(weekEnding: string, tier: Tier): string {
  return `${weekEnding}_${TIER_CODES[tier]}.psv`;
}

/** Capture id of one week of one tier: ingesting the same week and tier again replaces it. */
export function captureIdOf(weekEnding: string, tier: Tier): string {
  return `finra-otc:${TIER_CODES[tier]}:${weekEnding}`;
}

/** The Friday `days` after (or before) a date, as yyyy-mm-dd. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** True for a yyyy-mm-dd date that is a Friday (FINRA's week-ending day). */
export function isFriday(date: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) && new Date(`${date}T00:00:00Z`).getUTCDay() === 5;
}

/** Every Friday from `from` to `to`, both included. */
export function fridaysBetween(from: string, to: string): string[] {
  const weeks: string[] = [];
  let day = from;
  while (!isFriday(day) && day <= to) day = addDays(day, 1);
  for (; day <= to; day = addDays(day, 7)) weeks.push(day);
  return weeks;
}
