import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `traceparent` on runs: the W3C trace context a run's executions continue (the span active
 * when it was started or enqueued, else its first execution's span), so a resumed or queued run
 * — on any worker — stays in the same OpenTelemetry trace. Frozen.
 */
export class RunTraceparent1767744000000 implements MigrationInterface {
  name = 'RunTraceparent1767744000000';

  async up(runner: QueryRunner): Promise<void> {
    const escape = (name: string): string => runner.connection.driver.escape(name);
    await runner.query(`ALTER TABLE ${escape('core_workflow_runs')} ADD COLUMN ${escape('traceparent')} varchar(64) NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const escape = (name: string): string => runner.connection.driver.escape(name);
    // a plain DROP COLUMN (SQLite ≥ 3.35): a table rebuild would cascade to the step rows
    await runner.query(`ALTER TABLE ${escape('core_workflow_runs')} DROP COLUMN ${escape('traceparent')}`);
  }
}
