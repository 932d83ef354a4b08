import { inject, injectable } from 'inversify';
import { runInTransaction } from 'spine-orchestration/typeorm';
import { DataSource, LessThan, type EntityManager } from 'typeorm';
import type { CalendarEntry } from './exchange-calendar.data';
import { MdCalendarDay, MdDailyPrice, MdPartition } from './market.entities';

/** The market-data tables, through TypeORM, in the database spine records runs in. */
@injectable()
export class MarketRepository {
  constructor(@inject(DataSource) private readonly dataSource: DataSource) {}

  /** Safe beside other steps' transactions on the same DataSource (see runInTransaction). */
  private transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return runInTransaction(this.dataSource, work);
  }

  /** Replaces an exchange's calendar in one transaction. */
  async replaceCalendar(exchange: string, entries: readonly CalendarEntry[]): Promise<void> {
    await this.transaction(async (manager) => {
      await manager.delete(MdCalendarDay, { exchange });
      const rows = entries.map((e) => Object.assign(new MdCalendarDay(), { exchange, date: e.date, kind: e.kind, name: e.name, closeTime: e.closeTime ?? null }));
      if (rows.length > 0) await manager.createQueryBuilder().insert().into(MdCalendarDay).values(rows).updateEntity(false).execute();
    });
  }

  /** An exchange's synced calendar entries of one year (empty when that year was never synced). */
  calendar(exchange: string, year: string): Promise<MdCalendarDay[]> {
    return this.dataSource
      .getRepository(MdCalendarDay)
      .createQueryBuilder('c')
      .where('c.exchange = :exchange', { exchange })
      .andWhere('c.calendar_date LIKE :year', { year: `${year}-%` })
      .getMany();
  }

  /** The last close of every symbol before `date`. */
  async previousCloses(date: string): Promise<Map<string, number>> {
    const latest = await this.dataSource.getRepository(MdDailyPrice).findOne({ where: { date: LessThan(date) }, order: { date: 'DESC' } });
    if (latest === null) return new Map();
    const rows = await this.dataSource.getRepository(MdDailyPrice).findBy({ date: latest.date });
    return new Map(rows.map((r) => [r.symbol, r.close]));
  }

  /** Replaces the prices of one day in one transaction. */
  async replaceDay(date: string, rows: readonly MdDailyPrice[]): Promise<void> {
    await this.transaction(async (manager) => {
      await manager.delete(MdDailyPrice, { date });
      for (let i = 0; i < rows.length; i += 400)
        await manager
          .createQueryBuilder()
          .insert()
          .into(MdDailyPrice)
          .values(rows.slice(i, i + 400))
          .updateEntity(false)
          .execute();
    });
  }

  prices(date: string): Promise<MdDailyPrice[]> {
    return this.dataSource.getRepository(MdDailyPrice).find({ where: { date }, order: { symbol: 'ASC' } });
  }

  /** Partitions of a dataset already loaded. */
  async donePartitions(dataset: string): Promise<string[]> {
    const rows = await this.dataSource.getRepository(MdPartition).findBy({ dataset, status: 'done' });
    return rows.map((r) => r.partitionKey).sort();
  }

  async markPartition(dataset: string, partitionKey: string, tradingDays: number, rowCount: number): Promise<void> {
    await this.transaction(async (manager) => {
      await manager.delete(MdPartition, { dataset, partitionKey });
      await manager.insert(MdPartition, { dataset, partitionKey, status: 'done', tradingDays, rowCount, finishedAt: new Date() });
    });
  }
}
