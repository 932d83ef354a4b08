import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { bigintAsNumber } from '../example.database';

/** One ingested weekly file of one tier (its capture id makes re-ingesting idempotent). */
@Entity('finra_otc_capture')
@Index('uq_finra_otc_capture_week_tier', ['weekEnding', 'tier'], { unique: true })
export class OtcCapture {
  @PrimaryColumn({ name: 'capture_id', type: 'varchar', length: 64 })
  captureId!: string;

  @Column({ name: 'week_ending', type: 'varchar', length: 10 })
  weekEnding!: string;

  @Column({ type: 'varchar', length: 16 })
  tier!: string;

  @Column({ name: 'source_file', type: 'varchar', length: 255 })
  sourceFile!: string;

  /** SHA-256 of the file: the same file ingested again changes nothing. */
  @Column({ type: 'varchar', length: 64 })
  checksum!: string;

  @Column({ name: 'row_count', type: 'integer' })
  rowCount!: number;

  @Column({ name: 'valid_count', type: 'integer' })
  validCount!: number;

  @Column({ name: 'rejected_count', type: 'integer' })
  rejectedCount!: number;

  // no type named: TypeORM picks the driver's own for a Date (datetime on SQLite and MySQL, timestamp on PostgreSQL)
  @Column({ name: 'captured_at' })
  capturedAt!: Date;
}

/** A row of a weekly file as it arrived (valid rows only). */
@Entity('finra_otc_raw_row')
export class OtcRawRow {
  @PrimaryColumn({ name: 'capture_id', type: 'varchar', length: 64 })
  captureId!: string;

  @PrimaryColumn({ name: 'line_no', type: 'integer' })
  lineNo!: number;

  @Column({ type: 'varchar', length: 16 })
  symbol!: string;

  @Column({ name: 'issue_name', type: 'varchar', length: 255 })
  issueName!: string;

  @Column({ name: 'participant_name', type: 'varchar', length: 255 })
  participantName!: string;

  @Column({ type: 'varchar', length: 8 })
  mpid!: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  shares!: number;

  @Column({ type: 'integer' })
  trades!: number;
}

/** A row the ingest refused, with the reason. */
@Entity('finra_otc_reject')
export class OtcReject {
  @PrimaryColumn({ name: 'capture_id', type: 'varchar', length: 64 })
  captureId!: string;

  @PrimaryColumn({ name: 'line_no', type: 'integer' })
  lineNo!: number;

  @Column({ type: 'varchar', length: 200 })
  reason!: string;

  @Column({ type: 'text' })
  line!: string;
}

/** Normalized volume of one symbol at one venue in one week. */
@Entity('finra_otc_venue_week')
export class OtcVenueWeek {
  @PrimaryColumn({ name: 'week_ending', type: 'varchar', length: 10 })
  weekEnding!: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  tier!: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  symbol!: string;

  @PrimaryColumn({ type: 'varchar', length: 8 })
  mpid!: string;

  @Column({ name: 'issue_name', type: 'varchar', length: 255 })
  issueName!: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  shares!: number;

  @Column({ type: 'integer' })
  trades!: number;
}

/** One symbol's week across venues. */
@Entity('finra_otc_symbol_week')
@Index('ix_finra_otc_symbol_week_tier_symbol', ['tier', 'symbol', 'weekEnding'])
export class OtcSymbolWeek {
  @PrimaryColumn({ name: 'week_ending', type: 'varchar', length: 10 })
  weekEnding!: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  tier!: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  symbol!: string;

  @Column({ name: 'issue_name', type: 'varchar', length: 255 })
  issueName!: string;

  @Column({ name: 'total_shares', type: 'bigint', transformer: bigintAsNumber })
  totalShares!: number;

  @Column({ name: 'total_trades', type: 'integer' })
  totalTrades!: number;

  @Column({ name: 'venue_count', type: 'integer' })
  venueCount!: number;

  @Column({ name: 'top_venue', type: 'varchar', length: 8 })
  topVenue!: string;

  /** The top venue's share of the symbol's weekly volume, 0–1. */
  @Column({ name: 'top_venue_share', type: 'double precision' })
  topVenueShare!: number;
}

/** Six-week rolling averages of one symbol, as of a week. */
@Entity('finra_otc_rolling')
export class OtcRolling {
  @PrimaryColumn({ name: 'week_ending', type: 'varchar', length: 10 })
  weekEnding!: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  tier!: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  symbol!: string;

  /** Weeks of the window the symbol traded in (1–6). */
  @Column({ name: 'weeks_traded', type: 'integer' })
  weeksTraded!: number;

  @Column({ name: 'avg_shares', type: 'double precision' })
  avgShares!: number;

  @Column({ name: 'avg_trades', type: 'double precision' })
  avgTrades!: number;

  /** This week against the five before it: up / down (±10 %) or flat. */
  @Column({ type: 'varchar', length: 8 })
  trend!: string;

  @Column({ name: 'change_pct', type: 'double precision', nullable: true })
  changePct!: number | null;
}

/** Notifications sent (an outbox a mailer or chat bot would read). */
@Entity('finra_otc_notification')
export class OtcNotification {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'week_ending', type: 'varchar', length: 10 })
  weekEnding!: string;

  @Column({ type: 'varchar', length: 16 })
  tier!: string;

  @Column({ type: 'varchar', length: 1000 })
  message!: string;

  @Column({ name: 'created_at' }) // the driver's own type for a Date
  createdAt!: Date;
}

/** Every FINRA table, for a DataSource's `entities`. */
export const FINRA_ENTITIES = [OtcCapture, OtcRawRow, OtcReject, OtcVenueWeek, OtcSymbolWeek, OtcRolling, OtcNotification];
