import { OTC_HEADER, type Tier } from './otc.format';

/** A valid row of a weekly file. */
export interface OtcRow {
  readonly lineNo: number;
  readonly symbol: string;
  readonly issueName: string;
  readonly participantName: string;
  readonly mpid: string;
  readonly shares: number;
  readonly trades: number;
}

/** A row refused, and why. */
export interface OtcRejectedRow {
  readonly lineNo: number;
  readonly reason: string;
  readonly line: string;
}

/** What a file held: valid rows, refused rows, and the row count (header excluded). */
export interface ParsedOtcFile {
  readonly rows: OtcRow[];
  readonly rejects: OtcRejectedRow[];
  readonly rowCount: number;
}

const WHOLE_NUMBER = /^-?\d+$/;

/**
 * Parses a weekly file of `tier` for the week ending `weekEnding`. A wrong header throws (the file
 * is not what it claims to be); a bad row is refused with its reason and the rest carry on.
 */
export function parseOtcFile(text: string, tier: Tier, weekEnding: string, file: string): ParsedOtcFile {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim();
  if (header !== OTC_HEADER) {
    throw new Error(`${file}: the first line is not the FINRA OTC header (expected "${OTC_HEADER}", got "${header?.slice(0, 120) ?? ''}")`);
  }
  const rows: OtcRow[] = [];
  const rejects: OtcRejectedRow[] = [];
  let rowCount = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    rowCount++;
    const lineNo = i + 1;
    const reason = problemOf(line.split('|'), tier, weekEnding);
    if (reason !== null) {
      rejects.push({ lineNo, reason, line });
      continue;
    }
    const f = line.split('|');
    rows.push({ lineNo, symbol: f[1]!, issueName: f[2]!, participantName: f[3]!, mpid: f[4]!, shares: Number(f[5]), trades: Number(f[6]) });
  }
  return { rows, rejects, rowCount };
}

function problemOf(f: readonly string[], tier: Tier, weekEnding: string): string | null {
  if (f.length !== 8) return `expected 8 fields, got ${f.length}`;
  if (f[0] !== tier) return `tierDescription "${f[0]}" is not the file's tier "${tier}"`;
  if (f[1]!.trim() === '') return 'blank issueSymbolIdentifier';
  if (!/^[A-Z]{4}$/.test(f[4]!.trim().toUpperCase())) return `MPID "${f[4]}" is not a 4-letter venue id`;
  if (!WHOLE_NUMBER.test(f[5]!.trim())) return `totalWeeklyShareQuantity "${f[5]}" is not a whole number`;
  if (!WHOLE_NUMBER.test(f[6]!.trim())) return `totalWeeklyTradeCount "${f[6]}" is not a whole number`;
  if (Number(f[5]) < 0) return 'negative totalWeeklyShareQuantity';
  if (Number(f[6]) < 0) return 'negative totalWeeklyTradeCount';
  if (f[7]!.trim() !== weekEnding) return `lastUpdateDate ${f[7]} is not the file's week ${weekEnding}`;
  return null;
}
