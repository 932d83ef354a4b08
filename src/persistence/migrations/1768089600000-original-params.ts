import type { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes, familyOf } from '../schema/column-types';

/**
 * A run keeps the params it started with: `original_params`, set from `params` the first time a
 * resume or a requeue overrides them (NULL until then: the params are the original ones). Each
 * override is recorded as a `params_overridden` event (who, when, which fields, their values
 * before). Frozen: later changes get migrations of their own.
 */
export class OriginalParams1768089600000 implements MigrationInterface {
  name = 'OriginalParams1768089600000';

  async up(runner: QueryRunner): Promise<void> {
    const t = columnTypes(familyOf(runner.connection.options.type));
    const escape = (name: string): string => runner.connection.driver.escape(name);
    await runner.query(`ALTER TABLE ${escape('core_workflow_runs')} ADD COLUMN ${escape('original_params')} ${String(t.json)} NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const escape = (name: string): string => runner.connection.driver.escape(name);
    // a plain DROP COLUMN (SQLite ≥ 3.35): a table rebuild would cascade to the step rows
    await runner.query(`ALTER TABLE ${escape('core_workflow_runs')} DROP COLUMN ${escape('original_params')}`);
  }
}
