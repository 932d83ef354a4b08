import { injectable } from 'inversify';

/** One row of a FINRA OTC transparency weekly file (a subset of its columns). */
export interface OtcRow {
  readonly tierDescription: string;
  readonly issueSymbolIdentifier: string;
  readonly MPID: string;
  readonly totalWeeklyShareQuantity: number;
  readonly totalWeeklyTradeCount: number;
  readonly lastUpdateDate: string;
}

const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'TSLA', 'META', 'GOOGL', 'AMD', 'INTC', 'NFLX'];
const VENUES = ['SGMT', 'INCR', 'UBSA', 'JPMX', 'MLIX', 'EBXL'];

/** Deterministic sample rows for a week and tier (the real examples read shipped files). */
@injectable()
export class OtcWeekSource {
  async load(weekEnding: string, tier: string): Promise<OtcRow[]> {
    let seed = [...`${weekEnding}|${tier}`].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
    const next = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const rows: OtcRow[] = [];
    for (const symbol of SYMBOLS) {
      for (const venue of VENUES) {
        if (next() < 0.4) continue;
        const trades = 1 + Math.floor(next() * 900);
        rows.push({
          tierDescription: tier,
          // one row in thirty comes without a symbol, as real files occasionally do
          issueSymbolIdentifier: next() < 1 / 30 ? '' : symbol,
          MPID: venue,
          totalWeeklyShareQuantity: trades * (50 + Math.floor(next() * 400)),
          totalWeeklyTradeCount: trades,
          lastUpdateDate: weekEnding,
        });
      }
    }
    return rows;
  }
}

/** Sends notifications (here: prints them). */
@injectable()
export class ConsoleNotifier {
  async send(message: string): Promise<void> {
    console.log(`   [notify] ${message}`);
  }
}
