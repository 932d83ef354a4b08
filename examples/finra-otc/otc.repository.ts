import { inject, injectable } from 'inversify';
import { runInTransaction } from 'spine-orchestration/typeorm';
import { DataSource, In, type EntityManager, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { OtcCapture, OtcNotification, OtcRawRow, OtcReject, OtcRolling, OtcSymbolWeek, OtcVenueWeek } from './finra.entities';

const CHUNK = 400;

/** Inserts rows a chunk at a time (one statement per chunk, no read-back). */
async function insertAll<T extends ObjectLiteral>(manager: EntityManager, target: EntityTarget<T>, rows: readonly T[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await manager
      .createQueryBuilder()
      .insert()
      .into(target)
      .values(rows.slice(i, i + CHUNK) as T[])
      .updateEntity(false)
      .execute();
  }
}

/** The FINRA domain tables, through TypeORM, in the database spine records runs in. */
@injectable()
export class OtcRepository {
  constructor(@inject(DataSource) private readonly dataSource: DataSource) {}

  /** Safe beside other steps' transactions on the same DataSource (see runInTransaction). */
  private transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return runInTransaction(this.dataSource, work);
  }

  findCapture(captureId: string): Promise<OtcCapture | null> {
    return this.dataSource.getRepository(OtcCapture).findOneBy({ captureId });
  }

  /** Replaces everything of a capture (rows, rejects, its record) in one transaction: re-ingesting is idempotent. */
  async replaceCapture(capture: OtcCapture, rows: readonly OtcRawRow[], rejects: readonly OtcReject[]): Promise<void> {
    await this.transaction(async (manager) => {
      await manager.delete(OtcRawRow, { captureId: capture.captureId });
      await manager.delete(OtcReject, { captureId: capture.captureId });
      await manager.delete(OtcCapture, { captureId: capture.captureId });
      await insertAll(manager, OtcRawRow, rows);
      await insertAll(manager, OtcReject, rejects);
      await manager.insert(OtcCapture, capture);
    });
  }

  rawRows(captureId: string): Promise<OtcRawRow[]> {
    return this.dataSource.getRepository(OtcRawRow).find({ where: { captureId }, order: { lineNo: 'ASC' } });
  }

  rejects(captureId: string): Promise<OtcReject[]> {
    return this.dataSource.getRepository(OtcReject).find({ where: { captureId }, order: { lineNo: 'ASC' } });
  }

  /** Replaces one table's rows of a week and tier in one transaction. */
  private async replaceWeek<T extends ObjectLiteral>(target: EntityTarget<T>, weekEnding: string, tier: string, rows: readonly T[]): Promise<void> {
    await this.transaction(async (manager) => {
      await manager.delete(target, { weekEnding, tier });
      await insertAll(manager, target, rows);
    });
  }

  replaceVenueWeek(weekEnding: string, tier: string, rows: readonly OtcVenueWeek[]): Promise<void> {
    return this.replaceWeek(OtcVenueWeek, weekEnding, tier, rows);
  }

  venueWeek(weekEnding: string, tier: string): Promise<OtcVenueWeek[]> {
    return this.dataSource.getRepository(OtcVenueWeek).find({ where: { weekEnding, tier }, order: { symbol: 'ASC', mpid: 'ASC' } });
  }

  replaceSymbolWeek(weekEnding: string, tier: string, rows: readonly OtcSymbolWeek[]): Promise<void> {
    return this.replaceWeek(OtcSymbolWeek, weekEnding, tier, rows);
  }

  replaceRolling(weekEnding: string, tier: string, rows: readonly OtcRolling[]): Promise<void> {
    return this.replaceWeek(OtcRolling, weekEnding, tier, rows);
  }

  /** The weeks of a tier that have aggregates, among `weeks`. */
  async aggregatedWeeks(tier: string, weeks: readonly string[]): Promise<string[]> {
    const rows = await this.dataSource
      .getRepository(OtcSymbolWeek)
      .createQueryBuilder('w')
      .select('DISTINCT w.week_ending', 'week')
      .where('w.tier = :tier', { tier })
      .andWhere('w.week_ending IN (:...weeks)', { weeks })
      .getRawMany<{ week: string }>();
    return rows.map((r) => r.week).sort();
  }

  symbolWeeks(tier: string, weeks: readonly string[]): Promise<OtcSymbolWeek[]> {
    return this.dataSource.getRepository(OtcSymbolWeek).find({ where: { tier, weekEnding: In([...weeks]) } });
  }

  rolling(tier: string, weekEnding: string): Promise<OtcRolling[]> {
    return this.dataSource.getRepository(OtcRolling).find({ where: { tier, weekEnding }, order: { symbol: 'ASC' } });
  }

  /** How many rows each table holds for a tier across `weeks`: for summaries. */
  async countsFor(tier: string, weeks: readonly string[]): Promise<{ captures: number; symbolWeeks: number; rolling: number; rejects: number }> {
    const weekList = In([...weeks]);
    const captures = await this.dataSource.getRepository(OtcCapture).find({ where: { tier, weekEnding: weekList } });
    return {
      captures: captures.length,
      rejects: captures.reduce((sum, c) => sum + c.rejectedCount, 0),
      symbolWeeks: await this.dataSource.getRepository(OtcSymbolWeek).countBy({ tier, weekEnding: weekList }),
      rolling: await this.dataSource.getRepository(OtcRolling).countBy({ tier, weekEnding: weekList }),
    };
  }

  async addNotification(weekEnding: string, tier: string, message: string): Promise<void> {
    await this.dataSource.getRepository(OtcNotification).insert({ weekEnding, tier, message, createdAt: new Date() });
  }
}
