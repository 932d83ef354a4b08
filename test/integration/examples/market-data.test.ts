import 'reflect-metadata';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Container } from 'inversify';
import { DataSource } from 'typeorm';
import { ErrorCategory, Spine } from 'spine-orchestration';
import { AggregatePricesPipeline } from '../../../examples/market-data/aggregate-prices.pipeline';
import { BackfillMonthWorkflow, MarketBackfillWorkflow } from '../../../examples/market-data/backfill.workflow';
import { CalendarSyncExchangeWorkflow, CalendarSyncWorkflow } from '../../../examples/market-data/calendar-sync.workflow';
import { DailyPricesWorkflow } from '../../../examples/market-data/daily-prices.workflow';
import { BAD_TICK, sampleTradingDays, STALE_VENDOR_A_DAYS } from '../../../examples/market-data/data/generate-sample';
import { EXCHANGE_CALENDARS } from '../../../examples/market-data/exchange-calendar.data';
import { LoadMonthPipeline } from '../../../examples/market-data/load-month.pipeline';
import { MdCalendarDay, MdDailyPrice, MdPartition } from '../../../examples/market-data/market.entities';
import { bindMarketDataServices, MARKET_DATA_SCHEMA } from '../../../examples/market-data/market-data.module';
import { SyncCalendarPipeline } from '../../../examples/market-data/sync-calendar.pipeline';
import { sessionOf } from '../../../examples/market-data/trading-calendar';
import { FetchSourceWorkflow, MultiSourcePricesWorkflow } from '../../../examples/market-data/multi-source.workflow';
import { RealtimeUpdateWorkflow } from '../../../examples/market-data/realtime-update.workflow';
import { defaultPriceDir } from '../../../examples/market-data/price-file.source';
import { until } from '../../support/polling';
import { testDrivers, useTestDatabase } from '../../support/databases';

describe('the exchange calendars shipped with the market-data example', () => {
  it.each([
    ['XNYS', '2026-01-19', false, 'holiday: Martin Luther King, Jr. Day'],
    ['XNYS', '2026-07-03', false, 'holiday: Independence Day (observed)'],
    ['XNAS', '2027-03-26', false, 'holiday: Good Friday'],
    ['XNYS', '2026-11-27', true, 'early close 13:00 (Day after Thanksgiving)'],
    ['XLON', '2026-12-28', false, 'holiday: Boxing Day (substitute day)'],
    ['XLON', '2026-12-31', true, "early close 12:30 (New Year's Eve)"],
    ['XNYS', '2026-03-14', false, 'weekend'],
    ['XNYS', '2026-03-16', true, null],
  ])('%s on %s: trading %s (%s)', (mic, date, trading, note) => {
    expect(sessionOf(mic, date, EXCHANGE_CALENDARS[mic]!.entries)).toMatchObject({ trading, note });
  });

  it('lists no holiday on a weekend and no date twice', () => {
    for (const calendar of Object.values(EXCHANGE_CALENDARS)) {
      const dates = calendar.entries.map((e) => e.date);
      expect(new Set(dates).size).toBe(dates.length);
      for (const date of dates) expect([0, 6]).not.toContain(new Date(`${date}T00:00:00Z`).getUTCDay());
    }
  });
});

describe.each(testDrivers())('the market-data example on %s', (driver) => {
  const db = useTestDatabase(driver, [MARKET_DATA_SCHEMA]);
  let spine: Spine;
  const repo = <T extends object>(entity: new () => T) => db().dataSource.getRepository<T>(entity);

  beforeAll(async () => {
    const container = new Container();
    container.bind(DataSource).toConstantValue(db().dataSource);
    bindMarketDataServices(container);
    spine = await Spine.create({
      container,
      database: db().dataSource,
      workflows: [CalendarSyncWorkflow, CalendarSyncExchangeWorkflow, DailyPricesWorkflow, MarketBackfillWorkflow, BackfillMonthWorkflow, MultiSourcePricesWorkflow, RealtimeUpdateWorkflow],
      pipelines: [SyncCalendarPipeline, AggregatePricesPipeline, LoadMonthPipeline],
      recoverOnStart: false,
    });
  }, 60_000);
  afterAll(async () => {
    await spine?.close();
  });

  it('creates its domain tables with a migration that matches its entities (no schema drift)', async () => {
    expect((await db().dataSource.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query)).toEqual([]);
  });

  it('refuses a daily run before the calendars are synced, saying what to run', async () => {
    const run = await spine.run('market.daily_prices', { params: { date: '2026-03-02' } });
    expect(run).toMatchObject({ status: 'failed', errorStep: 'session', errorCategory: ErrorCategory.CONFIGURATION });
    expect(run.error).toContain('run `spine run market.calendar_sync` first');
  });

  it('syncs the calendars of three exchanges as map items', async () => {
    const run = await spine.run('market.calendar_sync');
    expect(run.status).toBe('completed');
    for (const mic of ['XNYS', 'XNAS', 'XLON']) expect(await repo(MdCalendarDay).countBy({ exchange: mic })).toBe(EXCHANGE_CALENDARS[mic]!.entries.length);
    expect(await repo(MdCalendarDay).findOneBy({ exchange: 'XNYS', date: '2026-11-27' })).toMatchObject({ kind: 'early_close', closeTime: '13:00' });
  });

  it('backfills month partitions in order and skips the months already loaded', async () => {
    const first = await spine.run('market.backfill', { params: { from: '2026-01', to: '2026-02' } });
    expect(first.status).toBe('completed');
    expect(first.context.getOutput('summary')).toMatchObject({ loaded: ['2026-01', '2026-02'], skipped: [] });
    const days = sampleTradingDays().filter((d) => d < '2026-03');
    expect((await repo(MdPartition).find({ order: { partitionKey: 'ASC' } })).map((p) => [p.partitionKey, p.tradingDays])).toEqual([
      ['2026-01', days.filter((d) => d.startsWith('2026-01')).length],
      ['2026-02', days.filter((d) => d.startsWith('2026-02')).length],
    ]);
    expect(await repo(MdDailyPrice).countBy({ date: '2026-01-19' })).toBe(0);

    const again = await spine.run('market.backfill', { params: { from: '2026-01', to: '2026-02' } });
    expect(again.context.getOutput('summary')).toMatchObject({ loaded: [], skipped: ['2026-01', '2026-02'] });
    expect(await spine.listRuns({ parentRunId: again.runId })).toEqual([]);
  }, 60_000);

  it('aggregates by source priority and never uses a stale quote', async () => {
    const staleDay = STALE_VENDOR_A_DAYS[0]!;
    const prices = await repo(MdDailyPrice).findBy({ date: staleDay });
    expect(prices.length).toBe(40);
    expect(prices.filter((p) => p.source === 'vendor_a')).toEqual([]);
    expect(prices.filter((p) => p.source === 'exchange').length).toBeGreaterThan(35);
    for (const p of prices.filter((q) => q.prevClose !== null)) expect(p.changePct).toBeCloseTo((p.close - p.prevClose!) / p.prevClose!, 5);
  });

  it('skips weekends and holidays through the choice, and loads a trading day', async () => {
    const holiday = await spine.run('market.daily_prices', { params: { date: '2026-02-16' } });
    expect(holiday.status).toBe('completed');
    expect(holiday.completedSteps).toEqual(['session', 'isTradingDay', 'notTradingDay']);
    expect(holiday.context.getOutput('notTradingDay', 'reason')).toBe("XNYS is closed on 2026-02-16 (holiday: Washington's Birthday)");
    const weekend = await spine.run('market.daily_prices', { params: { date: '2026-03-07', exchange: 'XLON' } });
    expect(weekend.completedSteps).toContain('notTradingDay');

    const day = await spine.run('market.daily_prices', { params: { date: '2026-03-02' } });
    expect(day.status).toBe('completed');
    expect(day.steps.find((s) => s.name === 'gate')?.quality).toMatchObject({ recordCount: 40, nullCount: 0 });
  });

  it('stops the day at the quality gate when a move exceeds 50 %', async () => {
    const run = await spine.run('market.daily_prices', { params: { date: BAD_TICK.date } });
    expect(run).toMatchObject({ status: 'failed', errorStep: 'gate', errorCategory: ErrorCategory.DATA_QUALITY });
    expect(run.error).toMatch(new RegExp(`moves over 50 % on ${BAD_TICK.date}: ${BAD_TICK.symbol} \\d+% \\(vendor_b\\)`));
    expect(await repo(MdDailyPrice).findOneBy({ date: BAD_TICK.date, symbol: BAD_TICK.symbol })).toMatchObject({ source: 'vendor_b', flag: 'extreme' });
  });

  it('lets a caller put another source first', async () => {
    const run = await spine.run('market.daily_prices', { params: { date: '2026-03-03', sources: ['vendor_b', 'exchange'] } });
    expect(run.context.getOutput('aggregate', 'bySource')).toEqual({ vendor_b: 40 });
  });

  it("aggregates several sources fetched in parallel by a map (the design's example 3): the same closes as the daily feed, conflicts counted", async () => {
    const date = '2026-03-04';
    const daily = await spine.run('market.daily_prices', { params: { date } });
    const multi = await spine.run('market.multi_source_prices', { params: { date } });
    expect(multi.status).toBe('completed');
    expect(multi.context.getOutput('aggregateSources')).toMatchObject({ resolved_count: 40, by_source: daily.context.getOutput('aggregate', 'bySource'), missing_sources: 0 });
    expect(multi.context.getOutput<number>('aggregateSources', 'conflict_count')).toBeGreaterThan(30);
    expect((await spine.listMapItems(multi.runId)).map((i) => [i.index, i.status])).toEqual([
      [0, 'completed'],
      [1, 'completed'],
      [2, 'completed'],
    ]);
  });

  it('goes on without a source that is down (onItemError partial): the run ends partial, naming the source', async () => {
    // a price directory where vendor_a has no files: that source fails, the other two are aggregated
    const dir = mkdtempSync(join(tmpdir(), 'spine-prices-'));
    for (const source of ['exchange', 'vendor_b']) cpSync(join(defaultPriceDir(), source), join(dir, source), { recursive: true });
    const container = new Container();
    container.bind(DataSource).toConstantValue(db().dataSource);
    bindMarketDataServices(container, dir);
    const partial = await Spine.create({ container, database: db().dataSource, workflows: [MultiSourcePricesWorkflow, FetchSourceWorkflow], recoverOnStart: false });
    try {
      const run = await partial.run('market.multi_source_prices', { params: { date: '2026-03-05' } });
      expect(run.status).toBe('partial');
      expect(run.context.getOutput('fetchAllSources', 'errors')).toEqual([expect.objectContaining({ index: 1, item: 'vendor_a', errorCategory: 'DEPENDENCY' })]);
      expect(run.context.getOutput('aggregateSources')).toMatchObject({ resolved_count: 40, missing_sources: 1 });
      expect((await partial.getRun(run.runId))?.status).toBe('partial');
    } finally {
      await partial.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("throttles a symbol's updates with a wait whose seconds the rate check computed (the design's example 5, duration_path)", async () => {
    const params = { symbol: 'AAPL', price: 245.1, max_updates: 2, window_seconds: 0.4 };
    const first = await spine.run('market.realtime_update', { params });
    const second = await spine.run('market.realtime_update', { params });
    expect([first.completedSteps, second.completedSteps]).toEqual([
      ['checkRate', 'rateCheck', 'process'],
      ['checkRate', 'rateCheck', 'process'],
    ]);
    const started = Date.now();
    const third = await spine.run('market.realtime_update', { params });
    expect(third.completedSteps).toEqual(['checkRate', 'rateCheck', 'throttle', 'process']);
    const waited = third.context.getOutput<number>('checkRate', 'wait_seconds');
    expect(waited).toBeGreaterThan(0);
    expect(waited).toBeLessThanOrEqual(0.4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(waited * 1000 - 5);
  });

  it('counts the updates another process applied: the limiter lives in the database, so its throttle branch is reached across processes (and CLI calls)', async () => {
    const params = { symbol: 'MSFT', price: 410.2, max_updates: 1, window_seconds: 30 };
    expect((await spine.run('market.realtime_update', { params })).completedSteps).toEqual(['checkRate', 'rateCheck', 'process']);
    // another process: its own DataSource, container and limiter
    const other = await db().open();
    const container = new Container();
    container.bind(DataSource).toConstantValue(other);
    bindMarketDataServices(container);
    const second = await Spine.create({ container, database: other, workflows: [RealtimeUpdateWorkflow], recoverOnStart: false });
    try {
      const { runId, result } = await second.start('market.realtime_update', { params });
      // over the limit: it waits until the first update leaves the 30 s window (cancelled here rather than waited out)
      await until(async () => (await second.getRunSteps(runId)).some((s) => s.stepName === 'checkRate' && s.status === 'completed'), 10_000);
      const check = (await second.getRunSteps(runId)).find((s) => s.stepName === 'checkRate')!;
      expect(check.output).toMatchObject({ throttled: true, recent: 1 });
      expect((check.output as { wait_seconds: number }).wait_seconds).toBeGreaterThan(25);
      await second.cancel(runId);
      expect((await result).status).toBe('cancelled');
    } finally {
      await second.close({ timeoutMs: 2_000 });
      await other.destroy();
    }
  });

  it('refuses params that would make the rate check divide time by nothing: no updates allowed, or an empty window', async () => {
    await expect(spine.run('market.realtime_update', { params: { symbol: 'AAPL', price: 1, max_updates: 0 } })).rejects.toThrow(/max_updates must not be less than 1/);
    await expect(spine.run('market.realtime_update', { params: { symbol: 'AAPL', price: 1, window_seconds: 0 } })).rejects.toThrow(/window_seconds must be a positive number/);
  });
});
