import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { Step, Workflow, WorkflowRunner } from 'spine-orchestration';
import { createSpineDataSource, FencingEpochs1767312000000, InitialSchema1767225600000, mysqlOptions, sqliteOptions, TypeOrmRunStore } from '../../../src/persistence';
import { testDrivers } from '../../support/databases';

/**
 * A database made by an earlier release (the schema up to the fencing migration) with a failed
 * run in it: migrating it to the run queue, schedules and signals keeps the run, which reads as
 * before (no queue, trigger 'api') and resumes to completion.
 */
describe.each(testDrivers())('migrating a database of the previous schema to the run queue (%s)', (driver) => {
  let options: DataSourceOptions;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    if (driver === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'spine-migrate-queue-'));
      options = sqliteOptions(join(dir, 'old.db'));
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    } else {
      const server = process.env.SPINE_TEST_MYSQL_URL!;
      const name = `spine_migrate_${randomBytes(4).toString('hex')}`;
      const admin = await createConnection(server);
      await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
      options = mysqlOptions(`${server.replace(/\/[^/]*$/, '')}/${name}`);
      cleanup = async () => {
        await admin.query(`DROP DATABASE ${name}`);
        await admin.end();
      };
    }
  }, 30_000);
  afterAll(async () => cleanup());

  it('keeps the runs recorded before it, and they resume', async () => {
    const old = await new DataSource({ ...options, migrations: [InitialSchema1767225600000, FencingEpochs1767312000000] } as DataSourceOptions).initialize();
    await old.runMigrations();
    const at = driver === 'sqlite' ? '2026-11-27 10:00:00.000' : new Date('2026-11-27T10:00:00Z');
    await old.query(
      'INSERT INTO core_workflow_runs (run_id, workflow_name, workflow_version, workflow_hash, status, params, trace_id, total_steps, executed_steps, ' +
        'completed_steps, failed_steps, skipped_steps, started_at, updated_at, cancel_requested, lease_epoch, lost_executions, error_step, error) ' +
        "VALUES ('old-run', 'migrated.wf', 1, ?, 'failed', '{\"n\":2}', 't', 2, 2, 1, 1, 0, ?, ?, 0, 1, 0, 'second', 'boom')",
      ['h'.repeat(64), at, at],
    );
    await old.query(
      'INSERT INTO core_workflow_run_steps (run_id, step_name, step_type, iteration, attempt, status, idempotency_key, started_at, finished_at, duration_ms, output) ' +
        "VALUES ('old-run', 'first', 'lambda', 1, 1, 'completed', 'old-run:first:1', ?, ?, 1, '{\"doubled\":4}')",
      [at, at],
    );
    await old.destroy();

    const dataSource = await createSpineDataSource(options).initialize();
    try {
      const applied = await dataSource.runMigrations();
      expect(applied.map((m) => m.name)).toEqual(['RunQueue1767398400000', 'SchedulesSignals1767484800000']);
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
      const store = new TypeOrmRunStore(dataSource);
      expect(await store.getRun('old-run')).toMatchObject({ status: 'failed', queue: null, priority: 0, concurrencyKey: null, params: { n: 2 }, errorStep: 'second', triggerSource: 'api', triggerSchedule: null, triggerFireTime: null });
      const firstRuns: number[] = [];
      const wf = Workflow.define({
        name: 'migrated.wf',
        steps: [
          Step.lambda('first', (ctx) => {
            firstRuns.push(1);
            return { doubled: ctx.getParam<number>('n') * 2 };
          }),
          Step.lambda('second', (ctx) => ({ plus: ctx.getOutput<number>('first', 'doubled') + 1 })),
        ],
      });
      const runner = new WorkflowRunner({ store });
      const resumed = await runner.resume('old-run', { workflow: wf, allowDefinitionChange: true });
      expect(resumed.status).toBe('completed');
      expect(resumed.context.getOutput('second', 'plus')).toBe(5);
      expect(firstRuns).toEqual([]);
      expect((await store.queueStats(new Date())).length).toBe(0);
    } finally {
      await dataSource.destroy();
    }
  }, 60_000);
});
