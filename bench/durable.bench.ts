/**
 * Durable engine benchmark (part of `npm run bench`): a 10-step lambda workflow recorded in a
 * database, next to the floor measured in the same run — one single-row INSERT per transaction
 * through the raw driver with the same settings — and bytes written per step.
 */
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { Step, Workflow, WorkflowRunner } from 'spine-orchestration';
import { createSpineDataSource, mysqlOptions, sqliteOptions, TypeOrmRunStore } from 'spine-orchestration/typeorm';
import { benchMariaDb, MARIADB_NOT_MEASURED } from './bench-mariadb';

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
  return `| ${label.padEnd(56)} | ${value.padStart(12)} | ${note.padEnd(22)} |`;
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

    const dataSource = await createSpineDataSource(sqliteOptions(join(dir, 'spine.db'), { synchronous })).initialize();
    await dataSource.runMigrations();
    const runner = new WorkflowRunner({ store: new TypeOrmRunStore(dataSource) });
    const stepUs = await perUnit(10, 600, () => runner.execute(tenSteps));
    await dataSource.destroy();
    lines.push(row(`SQLite WAL ${synchronous}: floor, one-row INSERT per transaction`, `${floorUs.toFixed(1)} µs`));
    lines.push(row(`SQLite WAL ${synchronous}: durable 10-step workflow, per step`, `${stepUs.toFixed(1)} µs`, `${(stepUs / floorUs).toFixed(2)}× floor (≤ 1.5)`));
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
    const dataSource = await createSpineDataSource(mysqlOptions(`${url.replace(/\/[^/]*$/, '')}/spine_bench`)).initialize();
    await dataSource.runMigrations();
    const runner = new WorkflowRunner({ store: new TypeOrmRunStore(dataSource) });
    const stepUs = await perUnit(10, 1500, () => runner.execute(tenSteps));
    await dataSource.destroy();
    await admin.query('DROP DATABASE spine_bench');
    await admin.end();
    lines.push(row('MariaDB: floor, mysql2 one-row INSERT autocommit', `${floorUs.toFixed(0)} µs`));
    lines.push(row('MariaDB: durable 10-step workflow, per step', `${stepUs.toFixed(0)} µs`, `${(stepUs / floorUs).toFixed(2)}× floor`));
  } finally {
    await server.stop();
  }
}

export async function durableBenchmark(): Promise<string[]> {
  const lines = [row('durable measure', 'value', 'against the floor'), row('-'.repeat(56), '-'.repeat(12), '-'.repeat(22))];
  await sqlite('NORMAL', lines);
  await sqlite('FULL', lines);
  await bytesPerStep(lines);
  await mariadb(lines);
  return lines;
}
