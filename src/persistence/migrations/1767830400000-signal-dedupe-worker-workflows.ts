import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { columnTypes, familyOf, hasPartialIndexes } from '../schema/column-types';

/**
 * Three columns of the hardening release:
 * - `core_workflow_runs.waiting_for`: the signal a parked run waits for, so only that signal wakes it;
 * - `core_workflow_signals.dedupe_id`: the sender's id of a signal, unique per run (a retried send stores nothing new);
 * - `core_workers.workflows`: the workflows a worker can execute, so queued runs that no live worker can take are reported.
 * Frozen.
 */
export class SignalDedupeWorkerWorkflows1767830400000 implements MigrationInterface {
  name = 'SignalDedupeWorkerWorkflows1767830400000';

  async up(runner: QueryRunner): Promise<void> {
    const family = familyOf(runner.connection.options.type);
    const t = columnTypes(family);
    const escape = (name: string): string => runner.connection.driver.escape(name);
    await runner.query(`ALTER TABLE ${escape('core_workflow_runs')} ADD COLUMN ${escape('waiting_for')} varchar(255) NULL`);
    await runner.query(`ALTER TABLE ${escape('core_workflow_signals')} ADD COLUMN ${escape('dedupe_id')} varchar(255) NULL`);
    await runner.createIndex(
      'core_workflow_signals',
      new TableIndex({ name: 'uq_core_workflow_signals_dedupe', columnNames: ['run_id', 'dedupe_id'], isUnique: true, ...(hasPartialIndexes(family) && { where: 'dedupe_id IS NOT NULL' }) }),
    );
    await runner.query(`ALTER TABLE ${escape('core_workers')} ADD COLUMN ${escape('workflows')} ${String(t.json)} NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const escape = (name: string): string => runner.connection.driver.escape(name);
    // plain DROP COLUMNs (SQLite ≥ 3.35): a table rebuild would cascade to the step rows
    await runner.query(`ALTER TABLE ${escape('core_workers')} DROP COLUMN ${escape('workflows')}`);
    await runner.dropIndex('core_workflow_signals', 'uq_core_workflow_signals_dedupe');
    await runner.query(`ALTER TABLE ${escape('core_workflow_signals')} DROP COLUMN ${escape('dedupe_id')}`);
    await runner.query(`ALTER TABLE ${escape('core_workflow_runs')} DROP COLUMN ${escape('waiting_for')}`);
  }
}
