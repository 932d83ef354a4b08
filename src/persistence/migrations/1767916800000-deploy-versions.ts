import type { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes, familyOf } from '../schema/column-types';

/**
 * Columns of the deploy-versions release:
 * - `core_workflow_runs.app_version`: the application build a run started on (`Spine.create({ appVersion })`);
 * - `core_workers.definitions`: the definition hashes a worker holds (and the workflows it continues on a changed definition), so claims, recovery and the stranded-run report respect versions;
 * - `core_workers.app_version`: the build the worker runs, and `heartbeat_ms`: how often it renews its row (a row not renewed for three of them is a dead worker's);
 * - `core_workflows.held_at`: the last time a live process held the definition (its worker's heartbeat, a process's start), so a run is reported stranded only once no process has held its definition for a while.
 * Frozen.
 */
export class DeployVersions1767916800000 implements MigrationInterface {
  name = 'DeployVersions1767916800000';

  async up(runner: QueryRunner): Promise<void> {
    const family = familyOf(runner.connection.options.type);
    const t = columnTypes(family);
    const escape = (name: string): string => runner.connection.driver.escape(name);
    const datetime = `${String(t.datetime)}${t.datetimePrecision === undefined ? '' : `(${t.datetimePrecision})`}`;
    await runner.query(`ALTER TABLE ${escape('core_workflow_runs')} ADD COLUMN ${escape('app_version')} varchar(255) NULL`);
    await runner.query(`ALTER TABLE ${escape('core_workers')} ADD COLUMN ${escape('definitions')} ${String(t.json)} NULL`);
    await runner.query(`ALTER TABLE ${escape('core_workers')} ADD COLUMN ${escape('app_version')} varchar(255) NULL`);
    await runner.query(`ALTER TABLE ${escape('core_workers')} ADD COLUMN ${escape('heartbeat_ms')} ${String(t.int)} NULL`);
    await runner.query(`ALTER TABLE ${escape('core_workflows')} ADD COLUMN ${escape('held_at')} ${datetime} NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const escape = (name: string): string => runner.connection.driver.escape(name);
    // plain DROP COLUMNs (SQLite ≥ 3.35): a table rebuild would cascade to the step rows
    await runner.query(`ALTER TABLE ${escape('core_workflows')} DROP COLUMN ${escape('held_at')}`);
    await runner.query(`ALTER TABLE ${escape('core_workers')} DROP COLUMN ${escape('heartbeat_ms')}`);
    await runner.query(`ALTER TABLE ${escape('core_workers')} DROP COLUMN ${escape('app_version')}`);
    await runner.query(`ALTER TABLE ${escape('core_workers')} DROP COLUMN ${escape('definitions')}`);
    await runner.query(`ALTER TABLE ${escape('core_workflow_runs')} DROP COLUMN ${escape('app_version')}`);
  }
}
