/**
 * Generates the committed market-data sample: daily closes of 40 US names for January–March 2026
 * from three sources (the exchange's official close, two vendors), one CSV per source and month,
 * trading days of the NYSE calendar only. Deterministic. Deliberate faults, on fixed days:
 * - the exchange feed misses a few symbols now and then (the vendors fill in);
 * - vendor_a re-sends the previous day's file on 2026-02-20 and 2026-03-13 (stale: as_of lags);
 * - on 2026-03-13 the exchange misses ZENT and vendor_b prints it at ten times its price
 *   (the daily quality gate stops that day).
 *
 *   npm run data:market
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../sample.random';
import { EXCHANGE_CALENDARS } from '../exchange-calendar.data';
import { DEFAULT_SOURCES, daysOf, PRICE_HEADER } from '../market.format';
import { sessionOf } from '../trading-calendar';

export const SAMPLE_MONTHS = ['2026-01', '2026-02', '2026-03'] as const;
export const STALE_VENDOR_A_DAYS = ['2026-02-20', '2026-03-13'];
export const BAD_TICK = { date: '2026-03-13', symbol: 'ZENT', source: 'vendor_b', factor: 10 } as const;

const SYMBOLS: readonly (readonly [string, number])[] = [
  ['AAPL', 245],
  ['MSFT', 430],
  ['NVDA', 138],
  ['AMZN', 222],
  ['GOOGL', 190],
  ['META', 600],
  ['TSLA', 410],
  ['AVGO', 232],
  ['JPM', 240],
  ['V', 315],
  ['XOM', 108],
  ['UNH', 510],
  ['JNJ', 146],
  ['WMT', 92],
  ['PG', 168],
  ['MA', 525],
  ['HD', 390],
  ['COST', 905],
  ['BAC', 46],
  ['KO', 63],
  ['PEP', 152],
  ['AMD', 120],
  ['NFLX', 880],
  ['INTC', 20],
  ['CSCO', 59],
  ['ORCL', 168],
  ['CRM', 335],
  ['ADBE', 445],
  ['PFE', 26],
  ['T', 23],
  ['VZ', 40],
  ['DIS', 112],
  ['NKE', 76],
  ['BA', 172],
  ['F', 10],
  ['GM', 50],
  ['UBER', 64],
  ['PLTR', 72],
  ['SOFI', 15],
  ['ZENT', 31],
];

/** A standard normal draw (Box–Muller) from the seeded generator. */
const normal = (next: () => number): number => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());

/** The NYSE trading days of the sample months. */
export function sampleTradingDays(): string[] {
  const entries = EXCHANGE_CALENDARS.XNYS!.entries;
  return SAMPLE_MONTHS.flatMap((month) => daysOf(month)).filter((day) => sessionOf('XNYS', day, entries).trading);
}

/** True closes: a random walk per symbol (1.8 % daily volatility), rounded to cents. */
function trueCloses(days: readonly string[]): Map<string, Map<string, { close: number; volume: number }>> {
  const next = seededRandom('market-data|closes');
  const byDay = new Map<string, Map<string, { close: number; volume: number }>>();
  const price = new Map(SYMBOLS.map(([symbol, start]) => [symbol, start]));
  for (const day of days) {
    const quotes = new Map<string, { close: number; volume: number }>();
    for (const [symbol] of SYMBOLS) {
      const close = price.get(symbol)! * Math.exp(0.0003 + 0.018 * normal(next));
      price.set(symbol, close);
      quotes.set(symbol, { close: Math.round(close * 100) / 100, volume: Math.round(2e6 + next() * 4e7) });
    }
    byDay.set(day, quotes);
  }
  return byDay;
}

/** The CSV lines (header first) of one source for one month. */
export function sampleFile(source: string, month: string): string[] {
  const days = sampleTradingDays();
  const closes = trueCloses(days);
  const next = seededRandom(`market-data|${source}|${month}`);
  const lines = [PRICE_HEADER];
  for (const [index, day] of days.entries()) {
    if (!day.startsWith(month)) continue;
    const stale = source === 'vendor_a' && STALE_VENDOR_A_DAYS.includes(day) && index > 0;
    const published = stale ? days[index - 1]! : day;
    for (const [symbol] of SYMBOLS) {
      const quote = closes.get(published)!.get(symbol)!;
      if (source === 'exchange' && (next() < 0.02 || (day === BAD_TICK.date && symbol === BAD_TICK.symbol))) continue;
      let close = quote.close;
      // vendors round differently and occasionally disagree by a cent
      if (source !== 'exchange' && next() < 0.1) close = Math.round((close + (next() < 0.5 ? -0.01 : 0.01)) * 100) / 100;
      if (source === BAD_TICK.source && day === BAD_TICK.date && symbol === BAD_TICK.symbol) close = Math.round(close * BAD_TICK.factor * 100) / 100;
      lines.push([day, symbol, close.toFixed(2), quote.volume, published].join(','));
    }
  }
  return lines;
}

/** Writes every sample file under `dir/<source>/<month>.csv`; returns the files written. */
export function writeSample(dir: string): string[] {
  const files: string[] = [];
  for (const source of DEFAULT_SOURCES) {
    mkdirSync(join(dir, source), { recursive: true });
    for (const month of SAMPLE_MONTHS) {
      const file = join(dir, source, `${month}.csv`);
      writeFileSync(file, `${sampleFile(source, month).join('\n')}\n`);
      files.push(file);
    }
  }
  return files;
}

if (require.main === module) {
  const dir = process.argv[2] ?? join(process.cwd(), 'examples', 'market-data', 'data', 'prices');
  const files = writeSample(dir);
  console.log(`Wrote ${files.length} price files (${DEFAULT_SOURCES.join(', ')} × ${SAMPLE_MONTHS.join(', ')}) to ${dir}`);
}
