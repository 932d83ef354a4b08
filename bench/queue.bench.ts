/**
 * Queue benchmark (part of `npm run bench`), on SQLite, MariaDB and PostgreSQL:
 *   - throughput: 600 queued runs of a 3-step workflow drained by 1, 2 and 4 worker processes
 *     (8 runs at once each), runs/s from the runs' due time to the last one finished
 *   - enqueue-to-start latency: a run enqueued by a process that is itself a worker (it looks at
 *     once) and by another connection's store (on PostgreSQL its NOTIFY wakes the worker at once;
 *     elsewhere the worker finds it at its next poll, every 100 ms here)
 *   - a distributed map of 1,000 items, items queue limited to 10 at once, next to the same map run
 *     in place at concurrency 10
 *   - schedules: fires per second (fire row + queued run in one transaction), next to enqueues per
 *     second (the queued run alone) in the same run
 *   - signals: signal → parked run's wait step done, sent by the worker's own process and by another
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { Spine, WorkflowRunner, type RunEvent } from 'spine-orchestration';
import { createSpineDataSource, mysqlOptions, postgresOptions, runMigrationsExclusively, sqliteOptions, TypeOrmRunStore } from 'spine-orchestration/typeorm';
import type { DataSource } from 'typeorm';
import { benchMariaDb, MARIADB_NOT_MEASURED } from './bench-mariadb';
import { benchPostgres, POSTGRES_NOT_MEASURED } from './bench-postgres';
import { track } from './targets';
import { benchWorkflows, distributedMap, localMap, signalled, threeSteps } from './queue.workflows';

const RUNS = 600;

/** Records a latency goal in milliseconds (the targets table) and says it in the row's note. */
function goal(label: string, ms: number, target: number): string {
  track(label, ms, target, 'max');
  return ` (goal median ≤ ${target} ms)`;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

function row(label: string, value: string, note = ''): string {
  return `| ${label.padEnd(64)} | ${value.padStart(12)} | ${note.padEnd(34)} |`;
}

const lookup = { get: (name: string) => benchWorkflows.find((w) => w.name === name), names: () => benchWorkflows.map((w) => w.name) };

/** A query with '?' placeholders on any driver (PostgreSQL's are $1, $2, …; its times are given their zone). */
function query(dataSource: DataSource, sql: string, values: unknown[]): Promise<unknown[]> {
  if (dataSource.options.type !== 'postgres') return dataSource.query(sql, values);
  let n = 0;
  return dataSource.query(
    sql.replace(/\?/g, () => `$${++n}`),
    values.map((v) => (typeof v === 'string' && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/.test(v) ? `${v}Z` : v)),
  );
}

function startWorker(database: string, queue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(__dirname, 'queue-worker.js'), JSON.stringify({ database, queue, concurrency: 8 })], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`bench worker exited with ${code}`)));
  });
}

async function stopWorkers(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(children.map((c) => new Promise<void>((resolve) => (c.once('exit', () => resolve()), c.kill('SIGTERM')))));
}

/** Runs/s of RUNS queued 3-step runs drained by `workers` processes. */
async function throughput(database: string, dataSource: DataSource, workers: number): Promise<number> {
  const store = new TypeOrmRunStore(dataSource);
  const runner = new WorkflowRunner({ store, workflows: lookup });
  const queue = `bench-throughput-${workers}-${Date.now()}`;
  const children = await Promise.all(Array.from({ length: workers }, () => startWorker(database, queue)));
  try {
    const due = new Date(Date.now() + 60_000);
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) ids.push((await runner.enqueue(threeSteps, { queue, notBefore: due })).runId);
    // all queued: make them due now
    const dueNow = Date.now();
    await query(dataSource, `UPDATE core_workflow_runs SET lease_expires_at = ? WHERE claim_queue = ?`, [new Date(dueNow).toISOString().replace('T', ' ').replace('Z', ''), queue]);
    for (;;) {
      const [row] = (await query(dataSource, `SELECT COUNT(*) AS n, MAX(finished_at) AS last FROM core_workflow_runs WHERE queue = ? AND status = 'completed'`, [queue])) as {
        n: number | string;
        last: string | Date;
      }[];
      if (Number(row!.n) === RUNS) {
        const last = row!.last instanceof Date ? row!.last.getTime() : Date.parse(`${String(row!.last).replace(' ', 'T')}Z`);
        return (RUNS * 1000) / (last - dueNow);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await stopWorkers(children);
  }
}

/** Enqueue-to-start latencies (ms): enqueued by the worker's own process, and by another process (poll every 100 ms). */
async function latency(dataSource: DataSource, other: DataSource): Promise<{ own: number[]; remote: number[] }> {
  const started = new Map<string, number>();
  const onEvent = (e: RunEvent): void => void (e.type === 'run_started' && started.set(e.runId, performance.timeOrigin + performance.now()));
  const spine = await Spine.create({ database: dataSource, workflows: benchWorkflows, recoverOnStart: false, onEvent, worker: { queues: ['bench-latency'], pollIntervalMs: 100 } });
  const producer = new WorkflowRunner({ store: new TypeOrmRunStore(other), workflows: lookup });
  const measure = async (enqueue: () => Promise<string>): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < 40; i++) {
      const at = performance.timeOrigin + performance.now();
      const runId = await enqueue();
      await spine.waitForResult(runId, { pollIntervalMs: 5 });
      out.push(started.get(runId)! - at);
      await new Promise((r) => setTimeout(r, 7 * (i % 5)));
    }
    return out;
  };
  try {
    const own = await measure(async () => (await spine.enqueue(threeSteps.name, { queue: 'bench-latency' })).runId);
    const remote = await measure(async () => (await producer.enqueue(threeSteps, { queue: 'bench-latency' })).runId);
    return { own, remote };
  } finally {
    await spine.close();
  }
}

/** Milliseconds of a 1,000-item map: distributed (items queue limited to 10 at once, one worker process of 16) and in place at concurrency 10. */
async function maps(dataSource: DataSource): Promise<{ distributed: number; local: number }> {
  const spine = await Spine.create({
    database: dataSource,
    workflows: benchWorkflows,
    recoverOnStart: false,
    queues: { 'bench-items': { concurrency: 10 } },
    worker: { queues: ['bench-maps', 'bench-items'], concurrency: 16, pollIntervalMs: 10 },
  });
  try {
    let begin = performance.now();
    const { runId } = await spine.enqueue(distributedMap.name);
    const result = await spine.waitForResult(runId, { pollIntervalMs: 5 });
    if (result.status !== 'completed') throw new Error(`distributed map ${result.status}: ${result.error}`);
    const distributed = performance.now() - begin;
    begin = performance.now();
    const local = await spine.run(localMap.name);
    if (local.status !== 'completed') throw new Error(`local map ${local.status}: ${local.error}`);
    return { distributed, local: performance.now() - begin };
  } finally {
    await spine.close();
  }
}

/** Fires per second of a schedule (each fire: its row and its queued run, one transaction) and enqueues per second of the same run. */
async function fires(dataSource: DataSource): Promise<{ fires: number; enqueues: number }> {
  const store = new TypeOrmRunStore(dataSource);
  const runner = new WorkflowRunner({ store, workflows: lookup });
  const name = `bench-schedule-${Date.now()}`;
  await store.saveSchedules([{ name, workflow: threeSteps.name, paused: false, declaration: { cron: '* * * * *', timezone: 'UTC', calendar: null, catchUp: 'all', description: null } }], new Date(0));
  const count = 300;
  let begin = performance.now();
  for (let i = 1; i <= count; i++) {
    const fireTime = new Date(i * 60_000);
    const run = runner.queuedRun(threeSteps, { queue: 'bench-fires' }, { source: 'schedule', schedule: name, fireTime });
    const outcome = await store.fireSchedule({ schedule: name, workflow: threeSteps.name, fireTime, source: 'schedule', run, error: null, scheduled: true });
    if (!outcome.fired) throw new Error(`fire ${i} not made: ${outcome.reason}`);
  }
  const fireRate = count / ((performance.now() - begin) / 1000);
  begin = performance.now();
  for (let i = 0; i < count; i++) await runner.enqueue(threeSteps, { queue: 'bench-fires' });
  return { fires: fireRate, enqueues: count / ((performance.now() - begin) / 1000) };
}

/** Milliseconds from a signal to the parked run's wait step done: sent by the worker's own process, and by another (the worker polls every 100 ms). */
async function signals(dataSource: DataSource, other: DataSource): Promise<{ own: number[]; remote: number[] }> {
  const received = new Map<string, number>();
  const parked = new Set<string>();
  const onEvent = (e: RunEvent): void => {
    if (e.type === 'signal_received') received.set(e.runId, performance.timeOrigin + performance.now());
    if (e.type === 'run_parked') parked.add(e.runId);
  };
  const spine = await Spine.create({ database: dataSource, workflows: benchWorkflows, recoverOnStart: false, onEvent, worker: { queues: ['bench-signals'], pollIntervalMs: 100 } });
  const sender = new WorkflowRunner({ store: new TypeOrmRunStore(other), workflows: lookup });
  const measure = async (send: (runId: string) => Promise<unknown>): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < 30; i++) {
      const { runId } = await spine.enqueue(signalled.name);
      while (!parked.has(runId)) await new Promise((r) => setTimeout(r, 2));
      const at = performance.timeOrigin + performance.now();
      await send(runId);
      await spine.waitForResult(runId, { pollIntervalMs: 5 });
      out.push(received.get(runId)! - at);
    }
    return out;
  };
  try {
    const own = await measure((runId) => spine.signal(runId, 'go'));
    const remote = await measure((runId) => sender.signal(runId, 'go'));
    return { own, remote };
  } finally {
    await spine.close();
  }
}

async function driver(name: string, database: string, lines: string[]): Promise<void> {
  const options = database.startsWith('mysql://') ? mysqlOptions(database) : database.startsWith('postgres://') ? postgresOptions(database) : sqliteOptions(database);
  const open = async () => createSpineDataSource(options).initialize();
  const notifies = database.startsWith('postgres://');
  const elsewhere = notifies ? 'by another connection (woken by NOTIFY)' : 'elsewhere (worker polls every 100 ms)';
  const dataSource = await open();
  const other = await open();
  try {
    await runMigrationsExclusively(dataSource);
    const perWorkers: string[] = [];
    for (const workers of [1, 2, 4]) perWorkers.push(`${workers}: ${Math.round(await throughput(database, dataSource, workers))}`);
    lines.push(row(`${name}: runs/s of a 3-step workflow by 1, 2, 4 worker processes`, '', perWorkers.join(' · ')));
    const { own, remote } = await latency(dataSource, other);
    lines.push(row(`${name}: enqueue → start, enqueued by the worker's own process`, `${percentile(own, 50).toFixed(1)} ms`, `p99 ${percentile(own, 99).toFixed(1)} ms`));
    lines.push(
      row(
        `${name}: enqueue → start, enqueued ${elsewhere}`,
        `${percentile(remote, 50).toFixed(1)} ms`,
        `p99 ${percentile(remote, 99).toFixed(1)} ms${notifies ? goal(`${name}: enqueue → start across connections, median ms`, percentile(remote, 50), 10) : ''}`,
      ),
    );
    const { distributed, local } = await maps(dataSource);
    lines.push(row(`${name}: map of 1,000 items at concurrency 10, distributed`, `${Math.round(distributed)} ms`, `${(distributed / local).toFixed(1)}× the map run in place`));
    lines.push(row(`${name}: the same map run in place`, `${Math.round(local)} ms`, ''));
    const rates = await fires(dataSource);
    lines.push(
      row(
        `${name}: schedule fires/s (fire row + its run, one transaction)`,
        `${Math.round(rates.fires)}`,
        `${(rates.enqueues / rates.fires).toFixed(2)}× an enqueue's time (${Math.round(rates.enqueues)}/s)`,
      ),
    );
    const waits = await signals(dataSource, other);
    lines.push(row(`${name}: signal → parked wait done, sent by the worker's process`, `${percentile(waits.own, 50).toFixed(1)} ms`, `p99 ${percentile(waits.own, 99).toFixed(1)} ms`));
    lines.push(
      row(
        `${name}: signal → parked wait done, sent ${notifies ? 'by another connection (NOTIFY)' : 'elsewhere (100 ms poll)'}`,
        `${percentile(waits.remote, 50).toFixed(1)} ms`,
        `p99 ${percentile(waits.remote, 99).toFixed(1)} ms${notifies ? goal(`${name}: signal → parked wait done across connections, median ms`, percentile(waits.remote, 50), 10) : ''}`,
      ),
    );
  } finally {
    await other.destroy();
    await dataSource.destroy();
  }
}

export async function queueBenchmark(): Promise<string[]> {
  const lines = [row('queue measure', 'value', 'note'), row('-'.repeat(64), '-'.repeat(12), '-'.repeat(34))];
  const dir = mkdtempSync(join(tmpdir(), 'spine-bench-queue-'));
  try {
    await driver('SQLite', join(dir, 'queue.db'), lines);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const server = await benchMariaDb();
  if (server === null) lines.push(row(MARIADB_NOT_MEASURED, '—'));
  else {
    const { url } = server;
    try {
      const admin = await createConnection(url);
      await admin.query('DROP DATABASE IF EXISTS spine_bench_queue');
      await admin.query('CREATE DATABASE spine_bench_queue CHARACTER SET utf8mb4');
      await driver('MariaDB', `${url.replace(/\/[^/]*$/, '')}/spine_bench_queue`, lines);
      await admin.query('DROP DATABASE spine_bench_queue');
      await admin.end();
    } finally {
      await server.stop();
    }
  }
  const postgres = await benchPostgres('spine_bench_queue');
  if (postgres === null) lines.push(row(POSTGRES_NOT_MEASURED, '—'));
  else {
    try {
      await driver('PostgreSQL', postgres.url, lines);
    } finally {
      await postgres.stop();
    }
  }
  lines.push('', 'For scale: DBOS took 9.2 s for 1,000 child workflows at worker concurrency 10 on Postgres on this machine (10 ms polling).');
  return lines;
}
