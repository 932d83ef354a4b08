import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { Step, Workflow, WorkflowRunner } from 'spine-orchestration';
import { createSpineDataSource, FencingEpochs1767312000000, InitialSchema1767225600000, mysqlOptions, spineMigrations, sqliteOptions, TypeOrmRunStore } from '../../../src/persistence';
import { postgresDatabase, testDrivers, withPlaceholders } from '../../support/databases';

/**
 * Databases made by earlier releases, with runs in them: migrating them to the current schema
 * keeps the runs, which read as before and resume to completion.
 */
if (testDrivers().includes('postgres')) console.log('migrations on PostgreSQL: the legacy item runs test is skipped there (no release before this one wrote item runs to PostgreSQL)');

describe.each(testDrivers())('migrating a database of an earlier schema (%s)', (driver) => {
  const cleanups: (() => Promise<void>)[] = [];
  /** A new, empty database. */
  const freshOptions = async (): Promise<DataSourceOptions> => {
    if (driver === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'spine-migrate-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return sqliteOptions(join(dir, 'old.db'));
    }
    if (driver === 'postgres') {
      const { options, cleanup } = await postgresDatabase();
      cleanups.push(cleanup);
      return options;
    }
    const server = process.env.SPINE_TEST_MYSQL_URL!;
    const name = `spine_migrate_${randomBytes(4).toString('hex')}`;
    const admin = await createConnection(server);
    await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
    cleanups.push(async () => {
      await admin.query(`DROP DATABASE ${name}`);
      await admin.end();
    });
    return mysqlOptions(`${server.replace(/\/[^/]*$/, '')}/${name}`);
  };
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  // a boolean column's values as an old release wrote them
  const [no, yes] = driver === 'postgres' ? [false, true] : [0, 1];

  it('from the fencing schema to the run queue and on: keeps the runs recorded before it, and they resume', async () => {
    const options = await freshOptions();
    const old = await new DataSource({ ...options, migrations: [InitialSchema1767225600000, FencingEpochs1767312000000] } as DataSourceOptions).initialize().then(withPlaceholders);
    await old.runMigrations();
    const at = driver === 'sqlite' ? '2026-11-27 10:00:00.000' : new Date('2026-11-27T10:00:00Z');
    await old.query(
      'INSERT INTO core_workflow_runs (run_id, workflow_name, workflow_version, workflow_hash, status, params, trace_id, total_steps, executed_steps, ' +
        'completed_steps, failed_steps, skipped_steps, started_at, updated_at, cancel_requested, lease_epoch, lost_executions, error_step, error) ' +
        "VALUES ('old-run', 'migrated.wf', 1, ?, 'failed', '{\"n\":2}', 't', 2, 2, 1, 1, 0, ?, ?, ?, 1, 0, 'second', 'boom')",
      ['h'.repeat(64), at, at, no],
    );
    await old.query(
      'INSERT INTO core_workflow_run_steps (run_id, step_name, step_type, iteration, attempt, status, idempotency_key, started_at, finished_at, duration_ms, output) ' +
        "VALUES ('old-run', 'first', 'lambda', 1, 1, 'completed', 'old-run:first:1', ?, ?, 1, '{\"doubled\":4}')",
      [at, at],
    );
    await old.destroy();

    const dataSource = withPlaceholders(await createSpineDataSource(options).initialize());
    try {
      const applied = await dataSource.runMigrations();
      expect(applied.map((m) => m.name)).toEqual([
        'RunQueue1767398400000',
        'SchedulesSignals1767484800000',
        'DurableHotPath1767571200000',
        'DesignSchema1767657600000',
        'RunTraceparent1767744000000',
        'SignalDedupeWorkerWorkflows1767830400000',
        'DeployVersions1767916800000',
        'DesignViewNumbers1768003200000',
        'OriginalParams1768089600000',
        'DesignColumns1768176000000',
        'ScheduleDeclarations1768262400000',
      ]);
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
      const store = new TypeOrmRunStore(dataSource);
      expect(await store.getRun('old-run')).toMatchObject({
        status: 'failed',
        queue: null,
        priority: 0,
        concurrencyKey: null,
        params: { n: 2 },
        errorStep: 'second',
        triggerSource: 'api',
        triggerSchedule: null,
        triggerFireTime: null,
      });
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

  // no release wrote item runs to PostgreSQL (it came after the hot path): that migration has nothing to convert there
  (driver === 'postgres' ? it.skip : it)(
    'to the durable hot path: a map whose items were child runs resumes running only the item that failed; per-step checkpoint rows go',
    async () => {
      const options = await freshOptions();
      const old = await new DataSource({ ...options, migrations: spineMigrations.slice(0, 4) } as DataSourceOptions).initialize().then(withPlaceholders);
      await old.runMigrations();
      const at = driver === 'sqlite' ? '2026-11-27 10:00:00.000' : new Date('2026-11-27T10:00:00Z');
      const runColumns =
        'run_id, workflow_name, workflow_version, workflow_hash, status, params, trace_id, total_steps, executed_steps, completed_steps, failed_steps, ' +
        'skipped_steps, started_at, updated_at, cancel_requested, lease_epoch, lost_executions, parent_run_id, root_run_id, error_step, error';
      const insertRun = (runId: string, workflow: string, status: string, totalSteps: number, parent: string | null, errorStep: string | null, params: string) =>
        old.query(`INSERT INTO core_workflow_runs (${runColumns}) VALUES (?, ?, 1, ?, ?, ?, 't', ?, 1, 1, 0, 0, ?, ?, 0, 1, 0, ?, ?, ?, ?)`, [
          runId,
          workflow,
          'h'.repeat(64),
          status,
          params,
          totalSteps,
          at,
          at,
          parent,
          parent,
          errorStep,
          errorStep === null ? null : 'boom',
        ]);
      const insertStep = (runId: string, step: string, status: string, output: string | null) =>
        old.query(
          'INSERT INTO core_workflow_run_steps (run_id, step_name, step_type, iteration, attempt, status, idempotency_key, started_at, finished_at, duration_ms, output) ' +
            "VALUES (?, ?, 'lambda', 1, 1, ?, ?, ?, ?, 1, ?)",
          [runId, step, status, `${runId}:${step}:1`, at, at, output],
        );
      await insertRun('legacy', 'legacy.map', 'failed', 1, null, 'fan', '{}');
      for (const [index, status] of ['completed', 'completed', 'failed'].entries()) {
        const item = `legacy:fan:1:${index}`;
        await insertRun(item, 'legacy.item', status, 1, 'legacy', status === 'failed' ? 'square' : null, JSON.stringify({ n: index }));
        await insertStep(item, 'square', status, status === 'completed' ? JSON.stringify({ sq: index * index }) : null);
        if (status === 'completed') {
          await old.query('INSERT INTO core_workflow_checkpoints (run_id, step_name, iteration, executed_steps, created_at) VALUES (?, ?, 1, 1, ?)', [item, 'square', at]);
        }
      }
      await old.destroy();

      const dataSource = withPlaceholders(await createSpineDataSource(options).initialize());
      try {
        expect((await dataSource.runMigrations()).map((m) => m.name)).toEqual([
          'DurableHotPath1767571200000',
          'DesignSchema1767657600000',
          'RunTraceparent1767744000000',
          'SignalDedupeWorkerWorkflows1767830400000',
          'DeployVersions1767916800000',
          'DesignViewNumbers1768003200000',
          'OriginalParams1768089600000',
          'DesignColumns1768176000000',
          'ScheduleDeclarations1768262400000',
        ]);
        expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
        expect(await dataSource.query('SELECT id FROM core_workflow_checkpoints')).toEqual([]);
        const store = new TypeOrmRunStore(dataSource);
        expect((await store.listMapItems('legacy', 'fan', 1)).map((i) => [i.index, i.status, i.output])).toEqual([
          [0, 'completed', { sq: 0 }],
          [1, 'completed', { sq: 1 }],
        ]);
        // a completed step row still reads as the item run's checkpoint
        expect((await store.listCheckpoints('legacy:fan:1:0')).map((c) => c.stepName)).toEqual(['square']);
        const squared: number[] = [];
        const item = Workflow.define({ name: 'legacy.item', steps: [Step.lambda('square', (ctx) => (squared.push(ctx.getParam<number>('n')), { sq: ctx.getParam<number>('n') ** 2 }))] });
        const wf = Workflow.define({ name: 'legacy.map', steps: [Step.map('fan', { items: [0, 1, 2], itemParam: 'n', iterator: item })] });
        const resumed = await new WorkflowRunner({ store }).resume('legacy', { workflow: wf, allowDefinitionChange: true });
        expect(resumed.status).toBe('completed');
        expect(squared).toEqual([2]);
        expect(resumed.context.getOutput('fan', 'results')).toEqual([{ sq: 0 }, { sq: 1 }, { sq: 4 }]);
        // and back: the previous schema again (steps kept, in order), then up once more with no drift
        const stepsBefore = (await store.getRunSteps('legacy')).map((r) => r.stepName);
        for (let i = 0; i < 9; i++) await dataSource.undoLastMigration();
        expect((await dataSource.query('SELECT step_name FROM core_workflow_run_steps WHERE run_id = ? ORDER BY id', ['legacy'])).map((r: { step_name: string }) => r.step_name)).toEqual(stepsBefore);
        expect((await dataSource.runMigrations()).map((m) => m.name)).toEqual([
          'DurableHotPath1767571200000',
          'DesignSchema1767657600000',
          'RunTraceparent1767744000000',
          'SignalDedupeWorkerWorkflows1767830400000',
          'DeployVersions1767916800000',
          'DesignViewNumbers1768003200000',
          'OriginalParams1768089600000',
          'DesignColumns1768176000000',
          'ScheduleDeclarations1768262400000',
        ]);
        expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
        expect((await store.getRunSteps('legacy')).map((r) => r.stepName)).toEqual(stepsBefore);
      } finally {
        await dataSource.destroy();
      }
    },
    60_000,
  );

  it("to the design's schema: runs get created_at, steps quality_null_rate, definitions their columns; the empty v1 tables go; the dashboard views answer the design's queries; and back", async () => {
    const options = await freshOptions();
    const old = await new DataSource({ ...options, migrations: spineMigrations.slice(0, 5) } as DataSourceOptions).initialize().then(withPlaceholders);
    await old.runMigrations();
    const at = driver === 'sqlite' ? '2026-11-27 10:00:00.000' : new Date('2026-11-27T10:00:00Z');
    await old.query(
      'INSERT INTO core_workflow_runs (run_id, workflow_name, workflow_version, workflow_hash, status, params, run_partition, trace_id, total_steps, executed_steps, ' +
        'completed_steps, failed_steps, skipped_steps, started_at, finished_at, duration_ms, updated_at, cancel_requested, lease_epoch, lost_executions, trigger_source) ' +
        "VALUES ('old-run', 'finra.weekly', 1, ?, 'completed', '{}', '{\"date\":\"2026-11-20\",\"tier\":\"NMS_TIER_1\"}', 't', 1, 1, 1, 0, 0, ?, ?, 2500, ?, ?, 1, 0, 'cli')",
      ['h'.repeat(64), at, at, at, no],
    );
    await old.query(
      'INSERT INTO core_workflow_run_steps (run_id, id, step_name, step_type, iteration, attempt, status, idempotency_key, started_at, finished_at, duration_ms, ' +
        "record_count, valid_count, invalid_count, null_count, quality_passed) VALUES ('old-run', 1, 'ingest', 'pipeline', 1, 1, 'completed', 'k', ?, ?, 40, 200, 190, 10, 5, ?)",
      [at, at, yes],
    );
    await old.query("INSERT INTO core_workflows (name, domain, version, spec, spec_hash, created_at) VALUES ('finra.weekly', NULL, 1, '{}', ?, ?)", ['h'.repeat(64), at]);
    await old.destroy();

    const dataSource = withPlaceholders(await createSpineDataSource(options).initialize());
    try {
      expect((await dataSource.runMigrations()).map((m) => m.name)).toEqual([
        'DesignSchema1767657600000',
        'RunTraceparent1767744000000',
        'SignalDedupeWorkerWorkflows1767830400000',
        'DeployVersions1767916800000',
        'DesignViewNumbers1768003200000',
        'OriginalParams1768089600000',
        'DesignColumns1768176000000',
        'ScheduleDeclarations1768262400000',
      ]);
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
      const [run] = await dataSource.query("SELECT created_at, started_at FROM core_workflow_runs WHERE run_id = 'old-run'");
      expect(String(run.created_at)).toBe(String(run.started_at));
      const [step] = await dataSource.query("SELECT quality_null_rate FROM core_workflow_run_steps WHERE run_id = 'old-run'");
      expect(Number(step.quality_null_rate)).toBeCloseTo(0.025);
      const [definition] = await dataSource.query("SELECT is_active, kind, updated_at, created_at FROM core_workflows WHERE name = 'finra.weekly'");
      expect([Number(definition.is_active), definition.kind, String(definition.updated_at)]).toEqual([1, 'code', String(definition.created_at)]);
      for (const table of ['core_group_runs', 'core_group_run_steps']) expect(await dataSource.createQueryRunner().hasTable(table)).toBe(false);
      // the design's dashboard queries, unchanged
      const summary = await dataSource.query(
        'SELECT id, workflow_name, status, trigger_source, total_steps, completed_steps, duration_seconds, partition_date, partition_tier, error_step ' +
          "FROM v_workflow_run_summary WHERE partition_tier = 'NMS_TIER_1' ORDER BY created_at DESC",
      );
      expect(
        summary.map((r: Record<string, unknown>) => ({ ...r, duration_seconds: Number(r.duration_seconds), total_steps: Number(r.total_steps), completed_steps: Number(r.completed_steps) })),
      ).toEqual([
        {
          id: 'old-run',
          workflow_name: 'finra.weekly',
          status: 'completed',
          trigger_source: 'cli',
          total_steps: 1,
          completed_steps: 1,
          duration_seconds: 2.5,
          partition_date: '2026-11-20',
          partition_tier: 'NMS_TIER_1',
          error_step: null,
        },
      ]);
      const quality = await dataSource.query(
        "SELECT workflow_name, step_name, step_type, run_count, success_count, avg_null_rate, quality_pass_count, quality_fail_count FROM v_workflow_step_quality WHERE workflow_name = 'finra.weekly'",
      );
      // numbers, as numbers, on every driver (MariaDB's SUM is DECIMAL: the views cast it)
      expect(quality.map((r: Record<string, unknown>) => [r.step_name, r.step_type, r.run_count, r.success_count, r.avg_null_rate, r.quality_pass_count, r.quality_fail_count])).toEqual([
        ['ingest', 'pipeline', 1, 1, 0.025, 1, 0],
      ]);
      const [rate] = await dataSource.query("SELECT avg_valid_rate, record_count, failure_count FROM v_workflow_step_quality WHERE workflow_name = 'finra.weekly'");
      expect([typeof rate.avg_valid_rate, typeof rate.record_count, typeof rate.failure_count]).toEqual(['number', 'number', 'number']);
      // and back: the v1 tables return, the new columns and views go; then up again with no drift
      for (let i = 0; i < 8; i++) await dataSource.undoLastMigration();
      expect(await dataSource.createQueryRunner().hasColumn('core_workflow_runs', 'original_params')).toBe(false);
      expect(await dataSource.createQueryRunner().hasColumn('core_workflow_runs', 'app_version')).toBe(false);
      expect(await dataSource.createQueryRunner().hasColumn('core_workers', 'definitions')).toBe(false);
      expect(await dataSource.createQueryRunner().hasTable('core_group_runs')).toBe(true);
      expect(await dataSource.createQueryRunner().hasColumn('core_workflow_runs', 'created_at')).toBe(false);
      await expect(dataSource.query('SELECT * FROM v_workflow_run_summary')).rejects.toThrow();
      expect((await dataSource.runMigrations()).map((m) => m.name)).toEqual([
        'DesignSchema1767657600000',
        'RunTraceparent1767744000000',
        'SignalDedupeWorkerWorkflows1767830400000',
        'DeployVersions1767916800000',
        'DesignViewNumbers1768003200000',
        'OriginalParams1768089600000',
        'DesignColumns1768176000000',
        'ScheduleDeclarations1768262400000',
      ]);
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
      expect((await dataSource.query('SELECT run_id FROM core_workflow_runs')).length).toBe(1);
    } finally {
      await dataSource.destroy();
    }
  }, 60_000);
});
