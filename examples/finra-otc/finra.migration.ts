import { Table, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

const varchar = (name: string, length: number, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({ name, type: 'varchar', length: String(length), ...extra });
const int = (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({ name, type: 'integer', ...extra });
const bigint = (name: string): TableColumnOptions => ({ name, type: 'bigint' });
const double = (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({ name, type: 'double precision', ...extra });
const key = (column: TableColumnOptions): TableColumnOptions => ({ ...column, isPrimary: true });

/** The FINRA example's domain tables, beside spine's own in the same database. */
export class FinraOtcSchema1780000000000 implements MigrationInterface {
  name = 'FinraOtcSchema1780000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: 'finra_otc_capture',
        columns: [
          key(varchar('capture_id', 64)),
          varchar('week_ending', 10),
          varchar('tier', 16),
          varchar('source_file', 255),
          varchar('checksum', 64),
          int('row_count'),
          int('valid_count'),
          int('rejected_count'),
          { name: 'captured_at', type: runner.connection.driver.normalizeType({ type: Date }) },
        ],
        indices: [new TableIndex({ name: 'uq_finra_otc_capture_week_tier', columnNames: ['week_ending', 'tier'], isUnique: true })],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'finra_otc_raw_row',
        columns: [
          key(varchar('capture_id', 64)),
          key(int('line_no')),
          varchar('symbol', 16),
          varchar('issue_name', 255),
          varchar('participant_name', 255),
          varchar('mpid', 8),
          bigint('shares'),
          int('trades'),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'finra_otc_reject',
        columns: [key(varchar('capture_id', 64)), key(int('line_no')), varchar('reason', 200), { name: 'line', type: 'text' }],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'finra_otc_venue_week',
        columns: [key(varchar('week_ending', 10)), key(varchar('tier', 16)), key(varchar('symbol', 16)), key(varchar('mpid', 8)), varchar('issue_name', 255), bigint('shares'), int('trades')],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'finra_otc_symbol_week',
        columns: [
          key(varchar('week_ending', 10)),
          key(varchar('tier', 16)),
          key(varchar('symbol', 16)),
          varchar('issue_name', 255),
          bigint('total_shares'),
          int('total_trades'),
          int('venue_count'),
          varchar('top_venue', 8),
          double('top_venue_share'),
        ],
        indices: [new TableIndex({ name: 'ix_finra_otc_symbol_week_tier_symbol', columnNames: ['tier', 'symbol', 'week_ending'] })],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'finra_otc_rolling',
        columns: [
          key(varchar('week_ending', 10)),
          key(varchar('tier', 16)),
          key(varchar('symbol', 16)),
          int('weeks_traded'),
          double('avg_shares'),
          double('avg_trades'),
          varchar('trend', 8),
          double('change_pct', { isNullable: true }),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'finra_otc_notification',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          varchar('week_ending', 10),
          varchar('tier', 16),
          varchar('message', 1000),
          { name: 'created_at', type: runner.connection.driver.normalizeType({ type: Date }) },
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['finra_otc_notification', 'finra_otc_rolling', 'finra_otc_symbol_week', 'finra_otc_venue_week', 'finra_otc_reject', 'finra_otc_raw_row', 'finra_otc_capture']) {
      await runner.dropTable(table);
    }
  }
}
