/**
 * Reads as history grows (part of `npm run bench`): the queries behind `listRuns`, `spine show`
 * and recovery on an embedded SQLite database pre-filled with 1,000 runs (10,000 step rows) and
 * with 100,000 runs (1,000,000 step rows), each with its query plan checked for a scan of a table.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSpineDataSource, sqliteOptions, TypeOrmRunStore } from 'spine-orchestration/typeorm';
import type { DataSource } from 'typeorm';
import { track } from './targets';

const WORKFLOWS = 20;
/** What a process of the benchmark's application holds: every workflow (by name). */
const HELD = { hashes: [], anyOf: Array.from({ length: WORKFLOWS }, (_, i) => `wf.${i}`) };
const STEPS = 10;

interface Probe {
  readonly label: string;
  readonly run: (store: TypeOrmRunStore, sample: string) => Promise<unknown>;
  /** The SQL the store runs for it (for its query plan). */
  readonly sql: string;
}

const probes: Probe[] = [
  {
    label: 'listRuns({ limit: 50 }): newest top-level runs',
    run: (s) => s.listRuns({ limit: 50 }),
    sql: 'SELECT * FROM core_workflow_runs WHERE parent_run_id IS NULL ORDER BY started_at DESC, run_id DESC LIMIT 50',
  },
  {
    label: 'listRuns({ workflow, limit: 50 })',
    run: (s) => s.listRuns({ workflow: 'wf.7', limit: 50 }),
    sql: "SELECT * FROM core_workflow_runs WHERE workflow_name = 'wf.7' AND parent_run_id IS NULL ORDER BY started_at DESC, run_id DESC LIMIT 50",
  },
  {
    label: "listRuns({ status: 'failed', limit: 10 })",
    run: (s) => s.listRuns({ status: 'failed', limit: 10 }),
    sql: "SELECT * FROM core_workflow_runs WHERE status IN ('failed') AND parent_run_id IS NULL ORDER BY started_at DESC, run_id DESC LIMIT 10",
  },
  { label: 'getRun + getRunSteps (spine show)', run: async (s, id) => [await s.getRun(id), await s.getRunSteps(id)], sql: "SELECT * FROM core_workflow_run_steps WHERE run_id = 'x' ORDER BY id" },
  {
    label: 'listExpiredRuns (recovery)',
    // a process of the application holds its workflows' definitions (here: by name, the 20 workflows)
    run: (s) => s.listExpiredRuns(new Date(), 10, HELD),
    sql: `SELECT * FROM core_workflow_runs WHERE status IN ('running', 'waiting') AND lease_expires_at < '2030' AND parent_run_id IS NULL AND queue IS NULL AND workflow_name IN (${HELD.anyOf.map((n) => `'${n}'`).join(', ')}) ORDER BY lease_expires_at LIMIT 10`,
  },
];

/**
 * Fills the database with `runs` finished runs of `steps` steps each (10), one a minute up to now (1 in 50
 * failed, 1 in 100 still running with an expired lease, 1 in 10 started by a schedule, partitions
 * by tier and by week of 1,000 runs): every probe reads as many rows at both sizes. Returns the
 * run in the middle.
 */
export function fill(dataSource: DataSource, runs: number, steps = STEPS): string {
  const db = (dataSource.driver as unknown as { databaseConnection: import('better-sqlite3').Database }).databaseConnection;
  const run = db.prepare(
    'INSERT INTO core_workflow_runs (run_id, workflow_name, workflow_version, workflow_hash, status, params, trace_id, total_steps, executed_steps, completed_steps, ' +
      'failed_steps, skipped_steps, started_at, updated_at, finished_at, cancel_requested, lease_epoch, lost_executions, lease_owner, lease_expires_at, trigger_source, partition_key) ' +
      'VALUES (?, ?, 1, \'h\', ?, \'{"week":"2026-01-02"}\', ?, 10, 10, 10, 0, 0, ?, ?, ?, 0, 1, 0, ?, ?, ?, ?)',
  );
  const step = db.prepare(
    'INSERT INTO core_workflow_run_steps (run_id, id, step_name, step_type, iteration, attempt, status, idempotency_key, started_at, finished_at, duration_ms, output) ' +
      'VALUES (?, ?, ?, \'lambda\', 1, 1, \'completed\', ?, ?, ?, 1.5, \'{"rows":1000,"note":"a small output"}\')',
  );
  let sample = '';
  const base = Date.now() - runs * 60_000;
  const insert = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const id = randomUUID();
      const at = new Date(base + i * 60_000).toISOString().replace('T', ' ').slice(0, 23);
      const running = i % 100 === 99;
      const status = running ? 'running' : i % 50 === 49 ? 'failed' : 'completed';
      run.run(
        id,
        `wf.${i % WORKFLOWS}`,
        status,
        randomUUID(),
        at,
        at,
        running ? null : at,
        running ? 'gone' : null,
        running ? at : null,
        i % 10 === 0 ? 'schedule' : 'api',
        `tier=T${i % 3}|week=w${Math.floor(i / 1000)}`,
      );
      for (let s = 1; s <= steps; s++) step.run(id, s, `s${s}`, `${id}:s${s}:1`, at, at);
      if (i === Math.floor(runs / 2)) sample = id;
    }
  });
  for (let i = 0; i < runs; i += 10_000) insert(i, Math.min(runs, i + 10_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  return sample;
}

/** Median milliseconds of `probe` over 30 calls. */
async function time(probe: Probe, store: TypeOrmRunStore, sample: string): Promise<number> {
  for (let i = 0; i < 5; i++) await probe.run(store, sample);
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const start = performance.now();
    await probe.run(store, sample);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[15]!;
}

async function measure(runs: number): Promise<{ times: number[]; scans: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'spine-history-'));
  try {
    const dataSource = await createSpineDataSource(sqliteOptions(join(dir, 'history.db'))).initialize();
    await dataSource.runMigrations();
    const sample = fill(dataSource, runs);
    const store = new TypeOrmRunStore(dataSource);
    const times: number[] = [];
    const scans: string[] = [];
    for (const probe of probes) {
      times.push(await time(probe, store, sample));
      const plan = (await dataSource.query(`EXPLAIN QUERY PLAN ${probe.sql}`)) as { detail: string }[];
      // a full pass over a table (a covering or partial index pass is fine)
      for (const { detail } of plan) if (/^SCAN \w+$/.test(detail) || /^SCAN \w+ \w+$/.test(detail)) scans.push(`${probe.label}: ${detail}`);
    }
    await dataSource.destroy();
    return { times, scans };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function historyBenchmark(): Promise<string[]> {
  const row = (a: string, b: string, c: string, d: string): string => `| ${a.padEnd(52)} | ${b.padStart(12)} | ${c.padStart(12)} | ${d.padEnd(16)} |`;
  await measure(1_000); // warms the code paths up: both sizes are then measured alike
  const small = await measure(1_000);
  const large = await measure(100_000);
  const lines = [row('read (SQLite), median of 30', '10 k steps', '1 M steps', '1 M ÷ 10 k'), row('-'.repeat(52), '-'.repeat(12), '-'.repeat(12), '-'.repeat(16))];
  for (const [i, probe] of probes.entries()) {
    const ratio = large.times[i]! / Math.max(small.times[i]!, 0.001);
    lines.push(row(probe.label, `${small.times[i]!.toFixed(3)} ms`, `${large.times[i]!.toFixed(3)} ms`, track(`reads at 1 M step rows ÷ 10 k: ${probe.label}`, ratio, 2, 'max')));
  }
  lines.push(large.scans.length === 0 ? 'every query above is index-backed (no table scan in its plan)' : `TABLE SCANS: ${large.scans.join('; ')}`);
  return lines;
}
