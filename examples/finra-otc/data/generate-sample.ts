/**
 * Generates the committed FINRA OTC transparency sample: 12 weekly files for each of the three
 * tiers, deterministic (same bytes on every machine). Real magnitudes: NMS Tier 1 venues trade
 * millions of shares a week at a few hundred shares a trade, OTC names trade hundreds of millions
 * of sub-dollar shares in large prints. A few rows per file are deliberately bad (blank symbol,
 * negative volume, a row of another week), and a few are duplicated (the normalizer merges them).
 *
 *   npm run data:finra            # rewrites examples/finra-otc/data/weekly/
 *   node build/examples/finra-otc/data/generate-sample.js <dir>
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../sample.random';
import { OTC_HEADER, TIERS, addDays, weeklyFileName, type Tier } from '../otc.format';

/** The weeks the sample covers (Fridays). */
export const SAMPLE_WEEKS: readonly string[] = Array.from({ length: 12 }, (_, i) => addDays('2026-08-07', 7 * i));

/** Venues (ATS and OTC market makers): MPID and the firm FINRA lists for it. */
const VENUES: readonly (readonly [string, string])[] = [
  ['SGMT', 'GOLDMAN SACHS & CO. LLC'],
  ['INCR', 'INTELLIGENT CROSS LLC'],
  ['UBSA', 'UBS SECURITIES LLC'],
  ['JPMX', 'J.P. MORGAN SECURITIES LLC'],
  ['MLIX', 'BOFA SECURITIES, INC.'],
  ['EBXL', 'LEVEL ATS'],
  ['MSPL', 'MORGAN STANLEY & CO. LLC'],
  ['IATS', 'INTERACTIVE BROKERS LLC'],
  ['BIDS', 'BIDS TRADING L.P.'],
  ['CGXS', 'CITIGROUP GLOBAL MARKETS INC.'],
  ['ICBX', 'INSTINET, LLC'],
  ['KCGM', 'VIRTU AMERICAS LLC'],
];

const LARGE_CAPS: readonly (readonly [string, string])[] = [
  ['AAPL', 'Apple Inc. Common Stock'],
  ['MSFT', 'Microsoft Corporation Common Stock'],
  ['NVDA', 'NVIDIA Corporation Common Stock'],
  ['AMZN', 'Amazon.com, Inc. Common Stock'],
  ['GOOGL', 'Alphabet Inc. Class A Common Stock'],
  ['META', 'Meta Platforms, Inc. Class A Common Stock'],
  ['TSLA', 'Tesla, Inc. Common Stock'],
  ['AVGO', 'Broadcom Inc. Common Stock'],
  ['JPM', 'JPMorgan Chase & Co. Common Stock'],
  ['V', 'Visa Inc.'],
  ['XOM', 'Exxon Mobil Corporation Common Stock'],
  ['UNH', 'UnitedHealth Group Incorporated Common Stock'],
  ['JNJ', 'Johnson & Johnson Common Stock'],
  ['WMT', 'Walmart Inc. Common Stock'],
  ['PG', 'Procter & Gamble Company (The) Common Stock'],
  ['MA', 'Mastercard Incorporated Common Stock'],
  ['HD', 'Home Depot, Inc. (The) Common Stock'],
  ['COST', 'Costco Wholesale Corporation Common Stock'],
  ['BAC', 'Bank of America Corporation Common Stock'],
  ['KO', 'Coca-Cola Company (The) Common Stock'],
  ['PEP', 'PepsiCo, Inc. Common Stock'],
  ['AMD', 'Advanced Micro Devices, Inc. Common Stock'],
  ['NFLX', 'Netflix, Inc. Common Stock'],
  ['INTC', 'Intel Corporation Common Stock'],
  ['CSCO', 'Cisco Systems, Inc. Common Stock'],
  ['ORCL', 'Oracle Corporation Common Stock'],
  ['CRM', 'Salesforce, Inc. Common Stock'],
  ['ADBE', 'Adobe Inc. Common Stock'],
  ['PFE', 'Pfizer, Inc. Common Stock'],
  ['T', 'AT&T Inc.'],
  ['VZ', 'Verizon Communications Inc. Common Stock'],
  ['DIS', 'Walt Disney Company (The) Common Stock'],
  ['NKE', 'Nike, Inc. Common Stock'],
  ['BA', 'Boeing Company (The) Common Stock'],
  ['F', 'Ford Motor Company Common Stock'],
  ['GM', 'General Motors Company Common Stock'],
  ['UBER', 'Uber Technologies, Inc. Common Stock'],
  ['PLTR', 'Palantir Technologies Inc. Class A Common Stock'],
  ['SOFI', 'SoFi Technologies, Inc. Common Stock'],
  ['SPY', 'SPDR S&P 500 ETF Trust'],
  ['QQQ', 'Invesco QQQ Trust, Series 1'],
  ['IWM', 'iShares Russell 2000 ETF'],
];

const SYLLABLES = ['AR', 'BE', 'CO', 'DA', 'EL', 'FI', 'GA', 'HO', 'IN', 'JU', 'KA', 'LO', 'MI', 'NO', 'OR', 'PA', 'QU', 'RE', 'SA', 'TE', 'UL', 'VI', 'WA', 'XE', 'YO', 'ZE'];
const NAME_WORDS = [
  'Apex',
  'Beacon',
  'Cedar',
  'Delta',
  'Ember',
  'Falcon',
  'Granite',
  'Harbor',
  'Iron',
  'Juniper',
  'Keystone',
  'Lumen',
  'Meridian',
  'Northwind',
  'Orchid',
  'Pioneer',
  'Quarry',
  'Redwood',
  'Summit',
  'Tidewater',
  'Union',
  'Vertex',
  'Willow',
  'Zenith',
];
const NAME_KINDS = ['Holdings', 'Minerals', 'Therapeutics', 'Energy', 'Bancorp', 'Technologies', 'Resources', 'Pharmaceuticals', 'Industries', 'Capital', 'Gold Corp', 'Biosciences'];

interface Issue {
  readonly symbol: string;
  readonly name: string;
  /** Median weekly shares at one venue, and shares per trade. */
  readonly baseShares: number;
  readonly tradeSize: number;
  /** Weekly drift of volume (a trend the rolling metrics should see). */
  readonly drift: number;
  readonly venues: readonly (readonly [string, string])[];
}

const TIER_SHAPE: Readonly<Record<Tier, { count: number; venues: [number, number]; shares: [number, number]; tradeSize: [number, number] }>> = {
  'NMS Tier 1': { count: 110, venues: [5, 9], shares: [400_000, 30_000_000], tradeSize: [90, 400] },
  'NMS Tier 2': { count: 100, venues: [3, 6], shares: [20_000, 1_500_000], tradeSize: [80, 250] },
  OTC: { count: 110, venues: [2, 4], shares: [200_000, 400_000_000], tradeSize: [2_000, 60_000] },
};

/** Fisher–Yates with the seeded generator. */
function shuffled<T>(list: readonly T[], next: () => number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const logUniform = (next: () => number, [low, high]: [number, number]): number => Math.exp(Math.log(low) + next() * (Math.log(high) - Math.log(low)));

function issuesOf(tier: Tier): Issue[] {
  const next = seededRandom(`issues|${tier}`);
  const shape = TIER_SHAPE[tier];
  const used = new Set<string>();
  const issues: Issue[] = [];
  for (let i = 0; issues.length < shape.count; i++) {
    let symbol: string;
    let name: string;
    if (tier === 'NMS Tier 1' && i < LARGE_CAPS.length) {
      [symbol, name] = LARGE_CAPS[i]!;
    } else {
      const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
      symbol = `${pick(SYLLABLES)}${pick(SYLLABLES)}`.slice(0, tier === 'OTC' ? 4 : 2 + Math.floor(next() * 3));
      if (tier === 'OTC') symbol += pick(['F', 'Y', 'Q', 'X']);
      const kind = pick(NAME_KINDS);
      name = `${pick(NAME_WORDS)} ${kind}${tier === 'OTC' ? (kind.endsWith('Corp') ? '' : ', Inc.') : ' Inc. Common Stock'}`;
    }
    if (used.has(symbol)) continue;
    used.add(symbol);
    const venueCount = shape.venues[0] + Math.floor(next() * (shape.venues[1] - shape.venues[0] + 1));
    const venues = shuffled(VENUES, next).slice(0, venueCount);
    const baseShares = logUniform(next, shape.shares) * (i < 10 && tier === 'NMS Tier 1' ? 3 : 1);
    issues.push({ symbol, name, baseShares, tradeSize: logUniform(next, shape.tradeSize), drift: (next() - 0.5) * 0.12, venues });
  }
  return issues.sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
}

/** The lines (header first) of one week's file of one tier. */
export function sampleFile(tier: Tier, weekIndex: number): string[] {
  const week = SAMPLE_WEEKS[weekIndex]!;
  const next = seededRandom(`week|${tier}|${week}`);
  const lines = [OTC_HEADER];
  for (const issue of issuesOf(tier)) {
    for (const [mpid, firm] of issue.venues) {
      // one venue in twenty has no prints for the symbol in a given week
      if (next() < 0.05) continue;
      const noise = 0.6 + next() * 0.8;
      const shares = Math.max(100, Math.round(issue.baseShares * noise * (1 + issue.drift) ** weekIndex));
      const trades = Math.max(1, Math.round(shares / (issue.tradeSize * (0.7 + next() * 0.6))));
      lines.push([tier, issue.symbol, issue.name, firm, mpid, shares, trades, week].join('|'));
    }
  }
  // deliberately bad and duplicated rows, in places that vary by file
  const bad = Math.floor(next() * 4);
  for (let k = 0; k < bad; k++) {
    const at = 1 + Math.floor(next() * (lines.length - 1));
    const fields = lines[at]!.split('|');
    const kind = Math.floor(next() * 3);
    if (kind === 0) fields[1] = '';
    if (kind === 1) fields[5] = `-${fields[5]}`;
    if (kind === 2) fields[7] = addDays(week, -7);
    lines.splice(at + 1, 0, fields.join('|'));
  }
  if (next() < 0.5) {
    const at = 1 + Math.floor(next() * (lines.length - 1));
    lines.splice(at + 1, 0, lines[at]!);
  }
  return lines;
}

/** Writes every sample file into `dir`; returns the files written. */
export function writeSample(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  SAMPLE_WEEKS.forEach((week, index) => {
    for (const tier of TIERS) {
      const file = join(dir, weeklyFileName(week, tier));
      writeFileSync(file, `${sampleFile(tier, index).join('\n')}\n`);
      files.push(file);
    }
  });
  return files;
}

if (require.main === module) {
  const dir = process.argv[2] ?? join(process.cwd(), 'examples', 'finra-otc', 'data', 'weekly');
  const files = writeSample(dir);
  console.log(`Wrote ${files.length} weekly files (${SAMPLE_WEEKS[0]} … ${SAMPLE_WEEKS[SAMPLE_WEEKS.length - 1]}, ${TIERS.join(', ')}) to ${dir}`);
}
