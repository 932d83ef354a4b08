import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { bigintAsNumber } from '../example.database';

/** A non-regular session of an exchange (synced from the shipped calendars). */
@Entity('md_calendar_day')
export class MdCalendarDay {
  @PrimaryColumn({ type: 'varchar', length: 4 })
  exchange!: string;

  @PrimaryColumn({ name: 'calendar_date', type: 'varchar', length: 10 })
  date!: string;

  /** holiday or early_close */
  @Column({ type: 'varchar', length: 12 })
  kind!: string;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ name: 'close_time', type: 'varchar', length: 5, nullable: true })
  closeTime!: string | null;
}

/** The close of one symbol on one trading day, from the most trusted source that had a fresh price. */
@Entity('md_daily_price')
export class MdDailyPrice {
  @PrimaryColumn({ name: 'price_date', type: 'varchar', length: 10 })
  date!: string;

  @PrimaryColumn({ type: 'varchar', length: 12 })
  symbol!: string;

  @Column({ type: 'double precision' })
  close!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  volume!: number;

  @Column({ type: 'varchar', length: 16 })
  source!: string;

  @Column({ name: 'prev_close', type: 'double precision', nullable: true })
  prevClose!: number | null;

  @Column({ name: 'change_pct', type: 'double precision', nullable: true })
  changePct!: number | null;

  /** ok, stale (no source had a fresh price: the last close carried forward) or extreme (|move| > 50 %). */
  @Column({ type: 'varchar', length: 8 })
  flag!: string;
}

/** A partition of a dataset (a month) and whether it was loaded. */
@Entity('md_partition')
export class MdPartition {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  dataset!: string;

  @PrimaryColumn({ name: 'partition_key', type: 'varchar', length: 7 })
  partitionKey!: string;

  @Column({ type: 'varchar', length: 12 })
  status!: string;

  @Column({ name: 'trading_days', type: 'integer' })
  tradingDays!: number;

  @Column({ name: 'row_count', type: 'integer' })
  rowCount!: number;

  // no type named: TypeORM picks the driver's own for a Date (datetime on SQLite and MySQL, timestamp on PostgreSQL)
  @Column({ name: 'finished_at' })
  finishedAt!: Date;
}

/** One applied real-time price update: the realtime workflow's rate check counts a symbol's recent ones (in the database, so every process and CLI call sees them). */
@Entity({ name: 'md_price_update' })
@Index('ix_md_price_update_symbol', ['symbol', 'appliedAtMs'])
export class MdPriceUpdate {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 12 })
  symbol!: string;

  @Column({ type: 'double precision' })
  price!: number;

  /** When it was applied, in epoch milliseconds (a window of seconds needs more than a DATETIME's whole seconds on MySQL). */
  @Column({ name: 'applied_at_ms', type: 'bigint', transformer: bigintAsNumber })
  appliedAtMs!: number;
}

export const MARKET_ENTITIES = [MdCalendarDay, MdDailyPrice, MdPartition, MdPriceUpdate];
