/**
 * Durable engine benchmark (part of `npm run bench`), each figure next to a floor measured in the
 * same run with the raw driver and the same settings:
 *   - a 10-step lambda workflow, per step, against one single-row INSERT per transaction
 *     (SQLite WAL NORMAL and FULL) or per autocommit statement (MariaDB, PostgreSQL)
 *   - 16 such runs at once: steps/s against the floor's rows/s (group commit)
 *   - a map of 1,000 items at concurrency 10 plus a reduce step, against 1,001 single-row
 *     transactions; 10,000 items: cost per item against the 1,000-item figure
 *   - bytes written per step as a run grows
 */
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { Step, Workflow, WorkflowRunner } from 'spine-orchestration';
import { Client } from 'pg';
import { createSpineDataSource, mysqlOptions, postgresOptions, sqliteOptions, TypeOrmRunStore } from 'spine-orchestration/typeorm';
import type { DataSource } from 'typeorm';
import { benchMariaDb, MARIADB_NOT_MEASURED } from './bench-mariadb';
import { benchPostgres, POSTGRES_NOT_MEASURED } from './bench-postgres';
import { track } from './targets';

const ROUNDS = 5;
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function perUnit(units: number, msPerRound: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 10; i++) await fn();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let count = 0;
    const start = performance.now();
    while (performance.now() - start < msPerRound) {
      await fn();
      count++;
    }
    rounds.push(((performance.now() - start) * 1000) / (count * units));
  }
  return median(rounds);
}

const tenSteps = Workflow.define({
  name: 'bench.durable_10',
  steps: Array.from({ length: 10 }, (_, i) => Step.lambda(`s${i}`, () => ({ i, note: 'a small output' }))),
});

function row(label: string, value: string, note = ''): string {
  return `| ${label.padEnd(60)} | ${value.padStart(12)} | ${note.padEnd(26)} |`;
}

/** A map of `n` items at concurrency 10 whose results a reduce step adds up. */
function mapAndReduce(n: number) {
  return Workflow.define({
    name: `bench.map_${n}`,
    steps: [
      Step.map('fan', { items: Array.from({ length: n }, (_, i) => i), itemParam: 'n', maxConcurrency: 10, iterator: Step.lambda('square', (ctx) => ({ sq: ctx.getParam<number>('n') ** 2 })) }),
      Step.lambda('reduce', (ctx) => ({ sum: ctx.getOutput<{ sq: number }[]>('fan', 'results').reduce((t, r) => t + r.sq, 0) })),
    ],
  });
}

/** Milliseconds per run of `wf` (median of `rounds`), after one warm-up run. */
async function msPerRun(runner: WorkflowRunner, wf: ReturnType<typeof mapAndReduce>, rounds: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    const start = performance.now();
    const result = await runner.execute(wf);
    if (result.status !== 'completed') throw new Error(`${wf.name} ${result.status}: ${result.error}`);
    if (i > 0) times.push(performance.now() - start);
  }
  return median(times);
}

async function openStore(options: Parameters<typeof createSpineDataSource>[0]): Promise<{ dataSource: DataSource; runner: WorkflowRunner }> {
  const dataSource = await createSpineDataSource(options).initialize();
  await dataSource.runMigrations();
  return { dataSource, runner: new WorkflowRunner({ store: new TypeOrmRunStore(dataSource) }) };
}

async function sqlite(synchronous: 'NORMAL' | 'FULL', lines: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spine-bench-'));
  try {
    const floorDb = new Database(join(dir, 'floor.db'));
    floorDb.pragma('journal_mode = WAL');
    floorDb.pragma(`synchronous = ${synchronous}`);
    floorDb.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, step TEXT, payload TEXT, at TEXT)');
    const insert = floorDb.prepare('INSERT INTO t (run_id, step, payload, at) VALUES (?, ?, ?, ?)');
    const commit = floorDb.transaction((n: number) => insert.run('run', `s${n}`, '{"i":1,"note":"a small output"}', new Date().toISOString()));
    let n = 0;
    const floorUs = await perUnit(1, 300, () => commit(n++));
    floorDb.close();

    const { dataSource, runner } = await openStore(sqliteOptions(join(dir, 'spine.db'), { synchronous }));
    const stepUs = await perUnit(10, 600, () => runner.execute(tenSteps));
    lines.push(row(`SQLite WAL ${synchronous}: floor, one-row INSERT per transaction`, `${floorUs.toFixed(1)} µs`, `${Math.round(1e6 / floorUs).toLocaleString('en-US')} rows/s`));
    lines.push(
      row(
        `SQLite WAL ${synchronous}: durable 10-step workflow, per step`,
        `${stepUs.toFixed(1)} µs`,
        track(`SQLite ${synchronous}: durable 10-step workflow ÷ floor`, stepUs / floorUs, synchronous === 'NORMAL' ? 2.0 : 1.3, 'max'),
      ),
    );
    if (synchronous === 'NORMAL') {
      const concurrentUs = await perUnit(160, 800, () => Promise.all(Array.from({ length: 16 }, () => runner.execute(tenSteps))));
      lines.push(
        row(
          'SQLite WAL NORMAL: 16 concurrent 10-step runs, steps/s',
          Math.round(1e6 / concurrentUs).toLocaleString('en-US'),
          track('SQLite NORMAL: 16 concurrent runs, steps/s ÷ floor rows/s', floorUs / concurrentUs, 1.5, 'min'),
        ),
      );
    }
    const thousand = await msPerRun(runner, mapAndReduce(1000), 5);
    const floorMs = (1001 * floorUs) / 1000;
    lines.push(
      row(
        `SQLite WAL ${synchronous}: map 1,000 items (concurrency 10) + reduce`,
        `${thousand.toFixed(1)} ms`,
        track(`SQLite ${synchronous}: map of 1,000 items + reduce ÷ 1,001 rows`, thousand / floorMs, 3, 'max'),
      ),
    );
    if (synchronous === 'NORMAL') {
      const tenThousand = await msPerRun(runner, mapAndReduce(10_000), 3);
      lines.push(
        row(
          'SQLite WAL NORMAL: map 10,000 items, per item',
          `${((tenThousand * 1000) / 10_000).toFixed(1)} µs`,
          track('SQLite NORMAL: map per-item cost, 10,000 ÷ 1,000 items', tenThousand / 10 / thousand, 1.2, 'max'),
        ),
      );
    }
    await dataSource.destroy();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bytesPerStep(lines: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spine-bench-'));
  try {
    const file = join(dir, 'spine.db');
    const dataSource = await createSpineDataSource(sqliteOptions(file)).initialize();
    await dataSource.runMigrations();
    const runner = new WorkflowRunner({ store: new TypeOrmRunStore(dataSource) });
    const payload = 'x'.repeat(10 * 1024);
    const size = (): number => {
      return statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
    };
    const perStep = async (steps: number): Promise<number> => {
      const wf = Workflow.define({ name: `bench.bytes_${steps}`, maxSteps: steps + 1, steps: Array.from({ length: steps }, (_, i) => Step.lambda(`s${i}`, () => ({ i, payload }))) });
      await dataSource.query('PRAGMA wal_checkpoint(TRUNCATE)');
      const before = size();
      await runner.execute(wf);
      await dataSource.query('PRAGMA wal_checkpoint(TRUNCATE)');
      return (size() - before) / steps;
    };
    const fifty = await perStep(50);
    const twoHundred = await perStep(200);
    await dataSource.destroy();
    lines.push(row('bytes written per step, 50-step run, 10 KB outputs', `${Math.round(fifty).toLocaleString('en-US')} B`));
    lines.push(row('bytes written per step, 200-step run, 10 KB outputs', `${Math.round(twoHundred).toLocaleString('en-US')} B`, `${(twoHundred / fifty).toFixed(2)}× the 50-step run`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function mariadb(lines: string[]): Promise<void> {
  const server = await benchMariaDb();
  if (server === null) {
    lines.push(row(MARIADB_NOT_MEASURED, '—'));
    return;
  }
  const { url } = server;
  try {
    const admin = await createConnection(url);
    await admin.query('CREATE DATABASE IF NOT EXISTS spine_bench');
    await admin.query('USE spine_bench');
    await admin.query('DROP TABLE IF EXISTS floor_t');
    await admin.query('CREATE TABLE floor_t (id INT AUTO_INCREMENT PRIMARY KEY, run_id VARCHAR(255), step VARCHAR(255), payload LONGTEXT, at DATETIME(3))');
    const floorUs = await perUnit(1, 600, () => admin.execute('INSERT INTO floor_t (run_id, step, payload, at) VALUES (?, ?, ?, ?)', ['run', 's1', '{"i":1}', new Date()]));
    const { dataSource, runner } = await openStore(mysqlOptions(`${url.replace(/\/[^/]*$/, '')}/spine_bench`));
    const stepUs = await perUnit(10, 1500, () => runner.execute(tenSteps));
    const concurrentUs = await perUnit(160, 1500, () => Promise.all(Array.from({ length: 16 }, () => runner.execute(tenSteps))));
    const mapMs = await msPerRun(runner, mapAndReduce(1000), 3);
    await dataSource.destroy();
    await admin.query('DROP DATABASE spine_bench');
    await admin.end();
    lines.push(row('MariaDB: floor, mysql2 one-row INSERT autocommit', `${floorUs.toFixed(0)} µs`, `${Math.round(1e6 / floorUs).toLocaleString('en-US')} rows/s`));
    lines.push(row('MariaDB: durable 10-step workflow, per step', `${stepUs.toFixed(0)} µs`, track('MariaDB: durable 10-step workflow ÷ autocommit floor', stepUs / floorUs, 2.0, 'max')));
    lines.push(row('MariaDB: 16 concurrent 10-step runs, steps/s', Math.round(1e6 / concurrentUs).toLocaleString('en-US'), `${(floorUs / concurrentUs).toFixed(2)}× floor rows/s`));
    lines.push(row('MariaDB: map 1,000 items (concurrency 10) + reduce', `${mapMs.toFixed(0)} ms`, `${(mapMs / ((1001 * floorUs) / 1000)).toFixed(2)}× 1,001 rows`));
  } finally {
    await server.stop();
  }
}

async function postgres(lines: string[]): Promise<void> {
  const server = await benchPostgres('spine_bench');
  if (server === null) {
    lines.push(row(POSTGRES_NOT_MEASURED, '—'));
    return;
  }
  try {
    const raw = new Client({ connectionString: server.url });
    await raw.connect();
    await raw.query('CREATE TABLE floor_t (id serial PRIMARY KEY, run_id varchar(255), step varchar(255), payload jsonb, at timestamptz(3))');
    const floorUs = await perUnit(1, 600, () => raw.query('INSERT INTO floor_t (run_id, step, payload, at) VALUES ($1, $2, $3, $4)', ['run', 's1', '{"i":1}', new Date()]));
    await raw.end();
    const { dataSource, runner } = await openStore(postgresOptions(server.url));
    const stepUs = await perUnit(10, 1500, () => runner.execute(tenSteps));
    const concurrentUs = await perUnit(160, 1500, () => Promise.all(Array.from({ length: 16 }, () => runner.execute(tenSteps))));
    const mapMs = await msPerRun(runner, mapAndReduce(1000), 3);
    await dataSource.destroy();
    lines.push(row('PostgreSQL: floor, pg one-row INSERT autocommit', `${floorUs.toFixed(0)} µs`, `${Math.round(1e6 / floorUs).toLocaleString('en-US')} rows/s`));
    lines.push(row('PostgreSQL: durable 10-step workflow, per step', `${stepUs.toFixed(0)} µs`, track('PostgreSQL: durable 10-step workflow ÷ autocommit floor', stepUs / floorUs, 2.0, 'max')));
    lines.push(row('PostgreSQL: 16 concurrent 10-step runs, steps/s', Math.round(1e6 / concurrentUs).toLocaleString('en-US'), `${(floorUs / concurrentUs).toFixed(2)}× floor rows/s`));
    lines.push(row('PostgreSQL: map 1,000 items (concurrency 10) + reduce', `${mapMs.toFixed(0)} ms`, `${(mapMs / ((1001 * floorUs) / 1000)).toFixed(2)}× 1,001 rows`));
  } finally {
    await server.stop();
  }
}

export async function durableBenchmark(): Promise<string[]> {
  const lines = [row('durable measure', 'value', 'against the floor'), row('-'.repeat(60), '-'.repeat(12), '-'.repeat(26))];
  await sqlite('NORMAL', lines);
  await sqlite('FULL', lines);
  await bytesPerStep(lines);
  await mariadb(lines);
  await postgres(lines);
  return lines;
}
