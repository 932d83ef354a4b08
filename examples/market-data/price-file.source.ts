import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject, injectable } from 'inversify';
import { ErrorCategory, StepError } from 'spine-orchestration';
import { exampleDataDir } from '../example.database';
import { PRICE_HEADER } from './market.format';

/** One quote of one source: the close it reports for `date`, and the day it is really from. */
export interface SourceQuote {
  readonly symbol: string;
  readonly close: number;
  readonly volume: number;
  readonly asOf: string;
}

/** Injection token of the directory with `<source>/<yyyy-mm>.csv` price files. */
export const MARKET_DATA_DIR = Symbol.for('market-data:data-dir');

/** The shipped sample (from source or from the compiled copy), unless `MARKET_DATA_DIR` is set. */
export function defaultPriceDir(): string {
  return exampleDataDir('MARKET_DATA_DIR', __dirname, 'market-data', 'prices');
}

/** Reads the price sources' monthly CSV files (the example's stand-in for vendor APIs). */
@injectable()
export class PriceFileSource {
  private readonly months = new Map<string, Map<string, SourceQuote[]>>();

  constructor(@inject(MARKET_DATA_DIR) readonly dataDir: string) {}

  /** The quotes a source published for `date` (empty when it published none). */
  quotes(source: string, date: string): SourceQuote[] {
    return this.month(source, date.slice(0, 7)).get(date) ?? [];
  }

  /** True when the source has a file for the month at all. */
  covers(source: string, month: string): boolean {
    return existsSync(this.file(source, month));
  }

  private file(source: string, month: string): string {
    return join(this.dataDir, source, `${month}.csv`);
  }

  private month(source: string, month: string): Map<string, SourceQuote[]> {
    const key = `${source}|${month}`;
    let byDay = this.months.get(key);
    if (byDay !== undefined) return byDay;
    byDay = new Map();
    const file = this.file(source, month);
    if (existsSync(file)) {
      const lines = readFileSync(file, 'utf8')
        .split(/\r?\n/)
        .filter((l) => l !== '');
      if (lines[0] !== PRICE_HEADER) throw new StepError(`${file}: expected the header "${PRICE_HEADER}"`, ErrorCategory.VALIDATION);
      for (const line of lines.slice(1)) {
        const [date, symbol, close, volume, asOf] = line.split(',');
        const quotes = byDay.get(date!) ?? [];
        quotes.push({ symbol: symbol!, close: Number(close), volume: Number(volume), asOf: asOf! });
        byDay.set(date!, quotes);
      }
    }
    this.months.set(key, byDay);
    return byDay;
  }
}
