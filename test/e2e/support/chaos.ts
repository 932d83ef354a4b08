import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { Client } from 'pg';
import { createSpineDataSource, mysqlOptions, postgresOptions, runMigrationsExclusively, sqliteOptions } from '../../../src/persistence';
import type { ThrowawayMariaDb } from '../../support/mariadb';
import { postgresInstalled, type ThrowawayPostgres } from '../../support/postgres';

const chaosChild = join(__dirname, 'chaos-child.cjs');
/** The queue chaos test's worker process. */
export const WORKER_CHILD = join(__dirname, 'worker-child.cjs');

/** One line of the side-effect log. */
export interface Entry {
  readonly ev: 'start' | 'end' | 'claim' | 'cancel' | 'cancel-observed' | 'resolved' | 'frozen' | 'thawed' | 'parked' | 'killed' | 'paused' | 'continued' | 'lost';
  readonly run: string;
  readonly step?: string;
  readonly item?: number | null;
  readonly epoch?: number;
  readonly key?: string | null;
  /** Queue chaos: the run's queue, and whether a claim was the run's first start. */
  readonly queue?: string;
  readonly first?: boolean;
  readonly pid: number;
  /** Epoch milliseconds of the wall clock every process shares (Date.now()). */
  readonly t: number;
}

/** A chaos child process. */
export interface Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** What it printed so far. */
  output(): string;
  /** Resolves once it printed `text`. */
  printed(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves when it exits; rejects when it fails (exit code ≠ 0 without a signal). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

/** Starts a chaos child with its config (see chaos-child.cjs, or `script`). */
export function startChild(config: Record<string, unknown>, script = chaosChild): Child {
  const proc = spawn(process.execPath, [script, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  proc.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of waiters.filter((w) => out.includes(w.text))) w.resolve();
  });
  proc.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      if (code !== null && code !== 0) reject(new Error(`chaos child (${String(config.role)}) failed with ${code}: ${err}\n${out}`));
      else resolve({ code, signal });
    });
  });
  exited.catch(() => undefined);
  return {
    proc,
    pid: proc.pid!,
    output: () => out,
    exited,
    printed: (text, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        if (out.includes(text)) return resolve();
        const timer = setTimeout(() => reject(new Error(`chaos child (${String(config.role)}) did not print "${text}" within ${timeoutMs} ms: ${out}${err}`)), timeoutMs);
        waiters.push({ text, resolve: () => (clearTimeout(timer), resolve()) });
        exited.then(() => reject(new Error(`chaos child (${String(config.role)}) exited without printing "${text}": ${out}${err}`)), reject);
      }),
  };
}

/** Ends every chaos child still running (only processes this test started), continuing stopped ones first. */
export function endChildren(): void {
  for (const proc of children) {
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
  }
}

/** Every entry of the log. */
export function allEntries(log: string): Entry[] {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Entry);
}

/** The log's entries for one run. */
export function entriesOf(log: string, runId: string): Entry[] {
  return allEntries(log).filter((entry) => entry.run === runId);
}

/** Resolves once the log holds an entry matching `match` (bounded). */
export async function logged(log: string, runId: string, match: (entry: Entry) => boolean, timeoutMs = 20_000): Promise<Entry> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = entriesOf(log, runId).find(match);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no log entry of run ${runId} matched within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What the log shows about a run, and every break of the guarantees it finds. */
export interface Verdict {
  readonly violations: string[];
  /** Claims after the first (another execution took the run over). */
  readonly takeovers: number;
  /** Steps or items that started again in a newer epoch (in flight at a fault). */
  readonly reruns: number;
  /**
   * Starts a stale execution made as it woke, of what it was about to start when it was paused
   * after its last lease check (at most `maxInFlight` per execution; their writes are refused).
   */
  readonly startsAtWake: number;
}

const unitOf = (e: Entry): string => (e.item === null || e.item === undefined ? String(e.step) : `item ${e.item}`);

/**
 * Checks a run's side-effect log: no step or item starts in an execution after a newer claim of
 * the run was logged; a unit starts again in a newer epoch only if its older epoch may still have
 * had it in flight at the fault — it never ended there, or it was among the last `maxInFlight`
 * units to end or to start there. (A slot takes its next unit only once the last one's record
 * committed, and records commit in the order their units ended, so a unit still uncommitted at
 * the fault has fewer than `maxInFlight` ends after its own. Items take different times, so the
 * last ones to start are not always the ones in flight.)
 */
export function verdict(entries: readonly Entry[], maxInFlight: number): Verdict {
  const violations: string[] = [];
  const claims = entries.filter((e) => e.ev === 'claim');
  const starts = entries.filter((e) => e.ev === 'start');
  // A process paused between its last lease check and a start makes that start when it wakes: no
  // check can come after the last instruction before the start. So an execution may make, after a
  // newer claim, at most the starts it had in flight (`maxInFlight`); its writes are refused. More is a violation.
  const staleByExecution = new Map<string, number>();
  let startsAtWake = 0;
  for (const s of starts) {
    const newer = claims.find((c) => c.epoch! > s.epoch! && c.t < s.t);
    if (newer === undefined) continue;
    const execution = `${s.pid}:${s.epoch}`;
    const made = (staleByExecution.get(execution) ?? 0) + 1;
    staleByExecution.set(execution, made);
    if (made <= maxInFlight) startsAtWake++;
    else
      violations.push(
        `${unitOf(s)} started in stale epoch ${s.epoch} (pid ${s.pid}) ${(s.t - newer.t).toFixed(1)} ms after epoch ${newer.epoch} claimed the run, past the ${maxInFlight} start(s) it may make as it wakes`,
      );
  }
  const epochs = [...new Set(starts.map((s) => s.epoch!))].sort((a, b) => a - b);
  let reruns = 0;
  for (const epoch of epochs.slice(1)) {
    for (const unit of new Set(starts.filter((s) => s.epoch === epoch).map(unitOf))) {
      const earlier = starts.filter((s) => s.epoch! < epoch && unitOf(s) === unit);
      if (earlier.length === 0) continue;
      reruns++;
      const before = earlier.at(-1)!.epoch!;
      const lastStarted = [
        ...new Set(
          starts
            .filter((s) => s.epoch === before)
            .map(unitOf)
            .reverse(),
        ),
      ].slice(0, maxInFlight);
      const endsThen = entries.filter((e) => e.ev === 'end' && e.epoch === before).map(unitOf);
      const lastEnded = [...new Set([...endsThen].reverse())].slice(0, maxInFlight);
      const ended = endsThen.includes(unit);
      if (ended && !lastStarted.includes(unit) && !lastEnded.includes(unit)) {
        violations.push(`${unit} ran again in epoch ${epoch} though epoch ${before} had finished it (in flight then: started last ${lastStarted.join(', ')}; ended last ${lastEnded.join(', ')})`);
      }
    }
  }
  return { violations, takeovers: Math.max(0, claims.length - 1), reruns, startsAtWake };
}

/**
 * A chaos suite's database and scratch directory, made before its tests and closed after them
 * (child processes this file started are ended first). Call in a `describe`.
 */
export function useChaosDatabase<T extends { readonly dataSource: DataSource }>(prefix: string, open: () => Promise<T>): { db(): T; dir(): string } {
  let db: T | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    db = await open();
  }, 60_000);
  afterAll(async () => {
    endChildren();
    await db?.dataSource.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  return { db: () => db!, dir: () => dir! };
}

/** A migrated SQLite file for a chaos suite: its path (what children open) and the test's DataSource on it. */
export async function sqliteChaosDatabase(prefix: string): Promise<{ readonly url: string; readonly dataSource: DataSource }> {
  const file = join(mkdtempSync(join(tmpdir(), prefix)), 'chaos.db');
  const dataSource = await createSpineDataSource(sqliteOptions(file)).initialize();
  await runMigrationsExclusively(dataSource);
  return { url: file, dataSource };
}

/** A migrated database `name` on a MariaDB server of the suite's own (freezing it stalls no other suite). */
export async function mariaDbChaosDatabase(server: ThrowawayMariaDb, name: string): Promise<{ readonly url: string; readonly dataSource: DataSource }> {
  const admin = await createConnection(server.url);
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  await admin.end();
  const url = `${server.url}${name}`;
  const dataSource = await createSpineDataSource(mysqlOptions(url)).initialize();
  await runMigrationsExclusively(dataSource);
  return { url, dataSource };
}

/** A migrated database `name` on a PostgreSQL cluster of the suite's own (freezing it stalls no other suite). */
export async function postgresChaosDatabase(server: ThrowawayPostgres, name: string): Promise<{ readonly url: string; readonly dataSource: DataSource }> {
  const admin = new Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = server.url.replace(/\/[^/]*$/, `/${name}`);
  const dataSource = await createSpineDataSource(postgresOptions(url)).initialize();
  await runMigrationsExclusively(dataSource);
  return { url, dataSource };
}

/** Why a chaos suite on PostgreSQL did not run here, or null when it can. */
export function postgresChaosSkipped(): string | null {
  if (process.env.SPINE_TEST_POSTGRES === 'off') return 'SPINE_TEST_POSTGRES=off';
  return postgresInstalled() ? null : 'PostgreSQL is not installed (apt-get install postgresql)';
}
