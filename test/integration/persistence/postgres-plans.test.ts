import { runFilterSql } from '../../../src/persistence/run-insights.sql';
import { postgresPlan, testDrivers, useTestDatabase } from '../../support/databases';

/** The console's and the CLI's listings, as the store sends them (a literal for each value). */
function listing(filter: Parameters<typeof runFilterSql>[0]): string {
  const { where, values } = runFilterSql(filter);
  let i = 0;
  const sql = `SELECT * FROM core_workflow_runs${where} ORDER BY started_at DESC, run_id DESC LIMIT 50`;
  return sql.replace(/\?/g, () => `'${String(values[i++]).replace(/'/g, "''")}'`);
}

if (!testDrivers().includes('postgres')) {
  console.log('PostgreSQL query plans NOT CHECKED: no PostgreSQL server here (the test set-up said why).');
}

(testDrivers().includes('postgres') ? describe : describe.skip)('PostgreSQL query plans: every listing the console pages through is read from an index in its order', () => {
  const database = useTestDatabase('postgres');

  beforeAll(async () => {
    // a history the planner has statistics of: 50,000 runs of 10 workflows over 50 days, mostly completed, a tenth of them map items
    await database().dataSource.query(
      'INSERT INTO core_workflow_runs (run_id, workflow_name, workflow_version, workflow_hash, status, params, trace_id, total_steps, executed_steps, ' +
        'completed_steps, failed_steps, skipped_steps, started_at, updated_at, parent_run_id) ' +
        "SELECT 'r-' || i, 'wf.' || (i % 10), 1, 'h', CASE WHEN i % 50 = 0 THEN 'failed' WHEN i % 97 = 0 THEN 'running' ELSE 'completed' END, '{}'::jsonb, " +
        "'t' || i, 3, 3, 3, 0, 0, timestamptz '2026-04-01 00:00:00Z' + i * interval '86 seconds', now(), CASE WHEN i % 10 = 0 THEN 'r-' || (i - 1) END " +
        'FROM generate_series(1, 50000) AS i',
    );
    await database().dataSource.query('ANALYZE core_workflow_runs');
  }, 60_000);

  it.each([
    ['top-level runs newest first', listing({}), 'ix_core_workflow_runs_top'],
    ['runs of a status newest first', listing({ status: 'failed' }), 'ix_core_workflow_runs_status_started'],
    ['runs of a workflow newest first', listing({ workflow: 'wf.3', includeChildren: true }), 'ix_core_workflow_runs_workflow'],
    ['the next page after a cursor', listing({ before: { startedAt: new Date('2026-06-01T00:00:00Z'), runId: 'r-1' } }), 'ix_core_workflow_runs_top'],
  ])('%s', async (_label, sql, index) => {
    const nodes = await postgresPlan(database().dataSource, sql, { seqscan: true });
    console.log(`${_label} (postgres): ${nodes.join(' > ')}`);
    expect(nodes.some((n) => n.includes(`using ${index}`))).toBe(true);
    // at most runs of one start time sorted by id (an incremental sort of ties), never the whole set
    expect(nodes.some((n) => n.startsWith('Sort') || n.startsWith('Seq Scan'))).toBe(false);
  });
});
