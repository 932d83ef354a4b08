import { StepResult, Step, Workflow, WorkflowRunner } from 'spine-orchestration';
import { FakeClock } from 'spine-orchestration/testing';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { createSpineDataSource, mysqlOptions, TypeOrmRunStore } from '../../../src/persistence';
import { testDrivers, useTestDatabase } from '../../support/databases';

/**
 * The SQL of the design documents 06 (quality metrics) and 07 (schema changes), as written there,
 * against runs the store recorded. On SQLite and MySQL/MariaDB the design's column names are
 * virtual columns (`partition`, `id`, `workflow_run_id`, `quality_record_count`, …); PostgreSQL has
 * the views and this schema's names. Where a statement uses one dialect's functions, the other
 * dialects' spelling (docs/DESIGN-SQL.md) is run beside it.
 */

// document 06, "Automatic Storage" (the example run id replaced by a real one)
const DESIGN_06_STEP_QUALITY = `SELECT 
    step_name,
    quality_record_count,
    quality_valid_count,
    quality_null_count,
    quality_passed,
    quality_custom
FROM core_workflow_run_steps
WHERE run_id = 'abc-123'
ORDER BY started_at;`;

// document 07, "Runs by partition" and its expression index (SQLite's json_extract)
const DESIGN_07_BY_PARTITION = `SELECT * FROM core_workflow_runs 
WHERE json_extract(partition, '$.tier') = ?;`;
const DESIGN_07_PARTITION_INDEX = `CREATE INDEX IF NOT EXISTS idx_core_workflow_runs_partition_tier 
    ON core_workflow_runs(json_extract(partition, '$.tier'));`;
// document 07, "Steps with quality failures"
const DESIGN_07_QUALITY_FAILURES = `SELECT * FROM core_workflow_run_steps 
WHERE quality_passed = 0 AND status = 'completed';`;
// document 07, "Retention Policy" (SQLite's datetime('now', …))
const DESIGN_07_RETENTION = [
  `DELETE FROM core_workflow_run_steps 
WHERE workflow_run_id IN (
    SELECT id FROM core_workflow_runs 
    WHERE created_at < datetime('now', '-90 days')
);`,
  `DELETE FROM core_workflow_runs 
WHERE created_at < datetime('now', '-90 days');`,
  `DELETE FROM core_workflow_checkpoints 
WHERE created_at < datetime('now', '-7 days');`,
];

/** The same statements in MySQL/MariaDB's spelling: `partition` is a reserved word there, and its clock is UTC_TIMESTAMP(). */
const MYSQL_BY_PARTITION = "SELECT * FROM core_workflow_runs WHERE JSON_VALUE(`partition`, '$.tier') = ?";
const MYSQL_RETENTION = [
  'DELETE FROM core_workflow_run_steps WHERE workflow_run_id IN (SELECT id FROM core_workflow_runs WHERE created_at < UTC_TIMESTAMP() - INTERVAL 90 DAY)',
  'DELETE FROM core_workflow_runs WHERE created_at < UTC_TIMESTAMP() - INTERVAL 90 DAY',
  'DELETE FROM core_workflow_checkpoints WHERE created_at < UTC_TIMESTAMP() - INTERVAL 7 DAY',
];

/** Document 06's trend query is PostgreSQL's dialect; each database's spelling of it. */
const TREND: Record<string, string> = {
  sqlite:
    "SELECT DATE(created_at) AS run_date, AVG(CAST(quality_valid_count AS REAL) / NULLIF(quality_record_count, 0)) AS avg_valid_rate, COUNT(*) FILTER (WHERE quality_passed) AS passes, COUNT(*) FILTER (WHERE NOT quality_passed) AS failures FROM core_workflow_run_steps WHERE step_name = 'quality_gate' AND created_at > datetime('now', '-30 days') GROUP BY DATE(created_at) ORDER BY run_date",
  mariadb:
    "SELECT DATE(created_at) AS run_date, AVG(quality_valid_count / NULLIF(quality_record_count, 0)) AS avg_valid_rate, CAST(SUM(quality_passed = 1) AS SIGNED) AS passes, CAST(SUM(quality_passed = 0) AS SIGNED) AS failures FROM core_workflow_run_steps WHERE step_name = 'quality_gate' AND created_at > UTC_TIMESTAMP() - INTERVAL 30 DAY GROUP BY DATE(created_at) ORDER BY run_date",
  postgres:
    "SELECT DATE(started_at) AS run_date, AVG(valid_count::float / NULLIF(record_count, 0)) AS avg_valid_rate, COUNT(*) FILTER (WHERE quality_passed) AS passes, COUNT(*) FILTER (WHERE NOT quality_passed) AS failures FROM core_workflow_run_steps WHERE step_name = 'quality_gate' AND started_at > NOW() - INTERVAL '30 days' GROUP BY DATE(started_at) ORDER BY run_date",
};

const DAY = 86_400_000;

/** ingest (quality with custom metrics) → quality_gate (passes when at least 90 % are valid), on a given day. */
const workflow = Workflow.define({
  name: 'design.sql',
  steps: [
    Step.lambda('ingest', (ctx) =>
      StepResult.ok(
        { rows: ctx.getParam<number>('valid') },
        { quality: { recordCount: 100, validCount: ctx.getParam<number>('valid'), nullCount: 3, customMetrics: { vendor: 'finra', late_files: 1 } } },
      ),
    ),
    Step.lambda('quality_gate', (ctx) => {
      const valid = ctx.getParam<number>('valid');
      return StepResult.ok({ valid }, { quality: { recordCount: 100, validCount: valid, passed: valid >= 90 } });
    }),
  ],
});

describe.each(testDrivers())("the design's SQL (documents 06 and 07) on %s", (driver) => {
  const db = useTestDatabase(driver);
  const runIds: Record<string, string> = {};

  beforeAll(async () => {
    const now = Date.now();
    // a run 100 days ago (retention removes it), and two this week: one passes the gate, one not
    for (const [name, daysAgo, valid] of [
      ['old', 100, 95],
      ['good', 2, 97],
      ['bad', 1, 80],
    ] as const) {
      const clock = new FakeClock({ start: now - daysAgo * DAY });
      const store = new TypeOrmRunStore(db().dataSource, { clock });
      const result = await new WorkflowRunner({ store, clock }).execute(workflow, { params: { valid }, partition: { date: `d-${name}`, tier: name === 'bad' ? 'OTC' : 'NMS_TIER_1' } });
      expect(result.status).toBe('completed');
      runIds[name] = result.runId;
    }
  }, 60_000);

  const query = <T = Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<T[]> => db().dataSource.query(sql, values);

  (driver === 'postgres' ? it.skip : it)("06: a run's quality by step, with the design's column names", async () => {
    const rows = await query(DESIGN_06_STEP_QUALITY.replace('abc-123', runIds.good!));
    expect(rows.map((r) => [r.step_name, Number(r.quality_record_count), Number(r.quality_valid_count), Number(r.quality_null_count), Number(r.quality_passed)])).toEqual([
      ['ingest', 100, 97, 3, 1],
      ['quality_gate', 100, 97, 0, 1],
    ]);
    expect(JSON.parse(String(rows[0]!.quality_custom))).toEqual({ vendor: 'finra', late_files: 1 });
  });

  it("06: the quality trend of the last 30 days (the design's query in this database's dialect)", async () => {
    const rows = await query(TREND[driver]!);
    expect(rows.map((r) => [Number(r.avg_valid_rate), Number(r.passes), Number(r.failures)])).toEqual([
      [0.97, 1, 0],
      [0.8, 0, 1],
    ]);
  });

  it('07: steps with quality failures, unchanged', async () => {
    if (driver === 'postgres') return expect(await query("SELECT * FROM core_workflow_run_steps WHERE NOT quality_passed AND status = 'completed'")).toHaveLength(1);
    const rows = await query(DESIGN_07_QUALITY_FAILURES);
    expect(rows.map((r) => [r.run_id, r.step_name])).toEqual([[runIds.bad, 'quality_gate']]);
  });

  (driver === 'postgres' ? it.skip : it)(
    "07: runs by a partition's field (on MySQL/MariaDB, where PARTITION is a reserved word, in its spelling), and the design's expression index on SQLite",
    async () => {
      const sql = driver === 'sqlite' ? DESIGN_07_BY_PARTITION : MYSQL_BY_PARTITION;
      const rows = await query(sql, ['NMS_TIER_1']);
      expect(rows.map((r) => r.id).sort()).toEqual([runIds.old, runIds.good].sort());
      expect(rows.every((r) => r.id === r.run_id)).toBe(true);
      if (driver === 'sqlite') {
        await query(DESIGN_07_PARTITION_INDEX);
        const plan = await query<{ detail: string }>(`EXPLAIN QUERY PLAN ${DESIGN_07_BY_PARTITION.replace(';', '')}`, ['OTC']);
        expect(plan.map((p) => p.detail).join('\n')).toContain('idx_core_workflow_runs_partition_tier');
        expect((await query(DESIGN_07_BY_PARTITION, ['OTC'])).map((r) => r.id)).toEqual([runIds.bad]);
        await query('DROP INDEX idx_core_workflow_runs_partition_tier');
      }
    },
  );

  // last: it deletes the old run
  (driver === 'postgres' ? it.skip : it)("07: the retention policy removes runs older than 90 days with their steps (SQLite: unchanged; MySQL/MariaDB: its clock's spelling)", async () => {
    for (const sql of driver === 'sqlite' ? DESIGN_07_RETENTION : MYSQL_RETENTION) await query(sql);
    const left = await query<{ id: string }>('SELECT id FROM core_workflow_runs');
    expect(left.map((r) => r.id).sort()).toEqual([runIds.good, runIds.bad].sort());
    expect(await query('SELECT * FROM core_workflow_run_steps WHERE workflow_run_id = ?', [runIds.old])).toEqual([]);
    expect(await new TypeOrmRunStore(db().dataSource).getRun(runIds.good!)).toMatchObject({ status: 'completed' });
  });
});

describe.each(testDrivers().filter((d) => d === 'mariadb'))('the design columns on %s under the driver type "mysql" (a mysql:// URL)', () => {
  it('migrate (MariaDB refuses NULL on a generated column, which TypeORM adds for that type) and answer to the design’s names', async () => {
    const server = process.env.SPINE_TEST_MYSQL_URL!;
    const name = `spine_design_${randomBytes(4).toString('hex')}`;
    const admin = await createConnection(server);
    await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
    const dataSource = await createSpineDataSource(mysqlOptions(`${server.replace(/\/[^/]*$/, '')}/${name}`, 'mysql')).initialize();
    try {
      expect((await dataSource.runMigrations()).map((m) => m.name)).toContain('DesignColumns1768176000000');
      // (no drift check: TypeORM's "mysql" type reads a MariaDB server's nullable columns as changed, design columns or not)
      expect(await dataSource.query('SELECT r.id, s.workflow_run_id FROM core_workflow_runs r JOIN core_workflow_run_steps s ON s.workflow_run_id = r.id')).toEqual([]);
    } finally {
      await dataSource.destroy();
      await admin.query(`DROP DATABASE ${name}`);
      await admin.end();
    }
  });
});

if (testDrivers().includes('postgres')) {
  console.log(
    "the design's SQL on PostgreSQL: the statements written for SQLite's dialect (json_extract, datetime('now'), the design's column names) are not run there; its views and the trend query in its dialect are",
  );
}
