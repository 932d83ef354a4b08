import { Table, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

const varchar = (name: string, length: number, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({ name, type: 'varchar', length: String(length), ...extra });
const key = (column: TableColumnOptions): TableColumnOptions => ({ ...column, isPrimary: true });

/** The market-data example's domain tables. */
export class MarketDataSchema1780000100000 implements MigrationInterface {
  name = 'MarketDataSchema1780000100000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: 'md_calendar_day',
        columns: [key(varchar('exchange', 4)), key(varchar('calendar_date', 10)), varchar('kind', 12), varchar('name', 120), varchar('close_time', 5, { isNullable: true })],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'md_daily_price',
        columns: [
          key(varchar('price_date', 10)),
          key(varchar('symbol', 12)),
          { name: 'close', type: 'double precision' },
          { name: 'volume', type: 'bigint' },
          varchar('source', 16),
          { name: 'prev_close', type: 'double precision', isNullable: true },
          { name: 'change_pct', type: 'double precision', isNullable: true },
          varchar('flag', 8),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'md_partition',
        columns: [
          key(varchar('dataset', 32)),
          key(varchar('partition_key', 7)),
          varchar('status', 12),
          { name: 'trading_days', type: 'integer' },
          { name: 'row_count', type: 'integer' },
          { name: 'finished_at', type: runner.connection.driver.normalizeType({ type: Date }) },
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['md_partition', 'md_daily_price', 'md_calendar_day']) await runner.dropTable(table);
  }
}

/** The real-time updates the rate check counts (`md_price_update`), kept in the database: a second process or CLI call sees the first's. */
export class MarketPriceUpdates1780000200000 implements MigrationInterface {
  name = 'MarketPriceUpdates1780000200000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: 'md_price_update',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'symbol', type: 'varchar', length: '12' },
          { name: 'price', type: 'double precision' },
          { name: 'applied_at_ms', type: 'bigint' },
        ],
        indices: [new TableIndex({ name: 'ix_md_price_update_symbol', columnNames: ['symbol', 'applied_at_ms'] })],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable('md_price_update');
  }
}
