import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The declaration columns (cron, time zone, calendar, catch-up, description), so a process without a schedule's code lists it. */
const COLUMNS: readonly [name: string, sql: string][] = [
  ['cron', 'varchar(255) NULL'],
  ['timezone', 'varchar(64) NULL'],
  ['calendar', 'varchar(64) NULL'],
  ['catch_up', 'varchar(16) NULL'],
  ['description', 'text NULL'],
];

/**
 * Schedules keep their declaration: every process that declares a schedule records its cron, time
 * zone, calendar, catch-up policy and description at start-up, so `spine schedules` and the
 * console list it (with its next fire times), and it can be paused or resumed, from a process
 * that only has the database. Rows recorded before stay NULL until a declaring process starts. Frozen.
 */
export class ScheduleDeclarations1768262400000 implements MigrationInterface {
  name = 'ScheduleDeclarations1768262400000';

  async up(runner: QueryRunner): Promise<void> {
    const escape = (name: string): string => runner.connection.driver.escape(name);
    for (const [name, sql] of COLUMNS) await runner.query(`ALTER TABLE ${escape('core_schedules')} ADD COLUMN ${escape(name)} ${sql}`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const escape = (name: string): string => runner.connection.driver.escape(name);
    for (const [name] of [...COLUMNS].reverse()) await runner.query(`ALTER TABLE ${escape('core_schedules')} DROP COLUMN ${escape(name)}`);
  }
}
