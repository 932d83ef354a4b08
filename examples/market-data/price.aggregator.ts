import { inject, injectable } from 'inversify';
import { MdDailyPrice } from './market.entities';
import { EXTREME_MOVE } from './market.format';
import { PriceFileSource, type SourceQuote } from './price-file.source';

/** One day's aggregation: the rows to store and what was found on the way. */
export interface AggregatedDay {
  readonly rows: MdDailyPrice[];
  /** How many symbols each source supplied. */
  readonly bySource: Record<string, number>;
  /** Symbols no source had a fresh price for (the last close carried forward). */
  readonly stale: string[];
  /** Symbols that moved more than 50 %, with the move and its source. */
  readonly extreme: { symbol: string; changePct: number; source: string }[];
  /** Sources whose whole file for the day was stale (as_of before the date). */
  readonly staleSources: string[];
}

/**
 * Multi-source aggregation by priority: for each symbol the first source (in `sources` order)
 * with a fresh quote (as_of = the date) wins; a stale quote is never used; a symbol nobody priced
 * keeps its last close, flagged stale; moves over 50 % are flagged extreme.
 */
@injectable()
export class PriceAggregator {
  constructor(@inject(PriceFileSource) private readonly source: PriceFileSource) {}

  aggregate(date: string, sources: readonly string[], previous: ReadonlyMap<string, number>, symbols: readonly string[]): AggregatedDay {
    return this.resolve(
      date,
      sources.map((name) => ({ name, quotes: this.source.quotes(name, date) })),
      previous,
      symbols,
    );
  }

  /**
   * The same from quotes fetched already (a map over the sources fetched them in parallel): the
   * order of `fetched` is the order of trust.
   */
  resolve(date: string, fetched: readonly { readonly name: string; readonly quotes: readonly SourceQuote[] }[], previous: ReadonlyMap<string, number>, symbols: readonly string[]): AggregatedDay {
    const bySource: Record<string, number> = {};
    const staleSources: string[] = [];
    const quotes = new Map<string, Map<string, SourceQuote>>();
    const sources = fetched.map((f) => f.name);
    for (const { name, quotes: list } of fetched) {
      if (list.length > 0 && list.every((q) => q.asOf < date)) staleSources.push(name);
      quotes.set(name, new Map(list.filter((q) => q.asOf === date).map((q) => [q.symbol, q])));
    }
    const universe = [...new Set([...symbols, ...[...quotes.values()].flatMap((m) => [...m.keys()])])].sort();
    const rows: MdDailyPrice[] = [];
    const stale: string[] = [];
    const extreme: AggregatedDay['extreme'] = [];
    for (const symbol of universe) {
      const winner = sources.find((name) => quotes.get(name)!.has(symbol));
      const prevClose = previous.get(symbol) ?? null;
      if (winner === undefined) {
        if (prevClose === null) continue;
        stale.push(symbol);
        rows.push(Object.assign(new MdDailyPrice(), { date, symbol, close: prevClose, volume: 0, source: 'carried', prevClose, changePct: 0, flag: 'stale' }));
        continue;
      }
      bySource[winner] = (bySource[winner] ?? 0) + 1;
      const quote = quotes.get(winner)!.get(symbol)!;
      const changePct = prevClose === null || prevClose === 0 ? null : Math.round(((quote.close - prevClose) / prevClose) * 1e6) / 1e6;
      const isExtreme = changePct !== null && Math.abs(changePct) > EXTREME_MOVE;
      if (isExtreme) extreme.push({ symbol, changePct: changePct!, source: winner });
      rows.push(Object.assign(new MdDailyPrice(), { date, symbol, close: quote.close, volume: quote.volume, source: winner, prevClose, changePct, flag: isExtreme ? 'extreme' : 'ok' }));
    }
    return { rows, bySource, stale, extreme, staleSources };
  }
}
