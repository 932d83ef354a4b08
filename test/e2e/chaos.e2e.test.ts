/**
 * Chaos: real child processes share one database (SQLite, and a MariaDB of this suite's own) while
 * the test pauses them past their lease (SIGSTOP/SIGCONT), kills them (SIGKILL), freezes the
 * database, starves an event loop, fails a map item, purges and cancels. Every step and map item
 * appends (run, step, item, epoch, pid, time) to a side-effect log; the test asserts from that log
 * and from the recorded rows that
 *  - no step or item starts in an execution after a newer claim of its run was committed, but what
 *    it was about to start when it was paused after its last lease check (≤ its concurrency; refused),
 *  - every completed step and item has exactly one completed row,
 *  - only steps and items in flight at a fault ran again,
 *  - a cancelled run starts nothing once the cancel was observed.
 * Trial counts are printed per driver.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { createSpineDataSource, mysqlOptions, postgresOptions, spineMigrations, sqliteOptions, TypeOrmRunStore } from '../../src/persistence';
import { mariaDbInstalled, startMariaDb, type ThrowawayMariaDb } from '../support/mariadb';
import { startPostgres, type ThrowawayPostgres } from '../support/postgres';
import { endChildren, entriesOf, logged, postgresChaosDatabase, postgresChaosSkipped, startChild, verdict, type Child } from './support/chaos';

// every test here spawns processes: seconds each on a loaded 2-core machine
jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let seed = 20261128;
const random = (min: number, max: number): number => min + Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * (max - min));

/** A driver's database for the chaos children, with a store to read the rows back. */
interface ChaosDatabase {
  readonly driver: 'sqlite' | 'mariadb' | 'postgres';
  /** What the children get: a SQLite file, a mysql:// or a postgres:// URL. */
  readonly url: string;
  readonly store: TypeOrmRunStore;
  readonly dataSource: DataSource;
  /** Freezes the database for `ms` (SIGSTOP of mariadbd, or of every PostgreSQL process; on SQLite a process holding its write lock). */
  freeze(ms: number, runId: string, log: string): Promise<void>;
}

/** Every completed step and item recorded exactly once; returns what is wrong. */
async function rowProblems(store: TypeOrmRunStore, runId: string): Promise<string[]> {
  const problems: string[] = [];
  const countRows = async (id: string) => {
    const seen = new Map<string, number>();
    for (const row of await store.getRunSteps(id)) if (row.status === 'completed') seen.set(`${row.stepName}:${row.iteration}`, (seen.get(`${row.stepName}:${row.iteration}`) ?? 0) + 1);
    for (const [key, n] of seen) if (n !== 1) problems.push(`${id}: ${key} has ${n} completed rows`);
  };
  await countRows(runId);
  for (const item of await store.listRuns({ parentRunId: runId })) await countRows(item.runId);
  return problems;
}

function chaosSuite(name: 'sqlite' | 'mariadb' | 'postgres', open: () => Promise<ChaosDatabase>): void {
  describe(`chaos on ${name} (child processes: SIGSTOP past a lease, SIGKILL, a frozen database, a starved event loop)`, () => {
    let db: ChaosDatabase;
    let dir: string;
    let log: string;
    const trials: Record<string, number> = {};
    let takeovers = 0;
    let reruns = 0;
    let startsAtWake = 0;
    let violations = 0;
    const base = () => ({ database: db.url, log });

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'spine-chaos-'));
      log = join(dir, 'side-effects.log');
      writeFileSync(log, '');
      db = await open();
    }, 60_000);

    afterEach(() => endChildren());

    afterAll(async () => {
      endChildren();
      console.log(
        `chaos on ${name}: ${Object.entries(trials)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ')}; ${takeovers} takeovers, ${reruns} in-flight re-runs, ${startsAtWake} starts made by a paused owner as it woke (its writes refused), ${violations} violations`,
      );
      await db?.dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Runs the checks of every trial and counts it. */
    async function judge(kind: string, runId: string, maxInFlight: number): Promise<void> {
      const found = verdict(entriesOf(log, runId), maxInFlight);
      const rows = await rowProblems(db.store, runId);
      violations += found.violations.length + rows.length;
      expect(found.violations).toEqual([]);
      expect(rows).toEqual([]);
      trials[kind] = (trials[kind] ?? 0) + 1;
      takeovers += found.takeovers;
      reruns += found.reruns;
      startsAtWake += found.startsAtWake;
    }

    const claimed = (runId: string, epoch = 1) => logged(log, runId, (e) => e.ev === 'claim' && e.epoch === epoch);
    const fresh = (kind: string) => `${kind}-${randomBytes(4).toString('hex')}`;

    it('an owner paused past its lease (sequential run and 50-item map) stops at once when it wakes: another process finished the run, every step once', async () => {
      for (const [workflow, params, maxInFlight] of [
        ['chaos.sequential', {}, 1],
        ['chaos.map', { items: 50 }, 4],
        ['chaos.sequential', {}, 1],
        ['chaos.map', { items: 50 }, 4],
      ] as const) {
        const runId = fresh('paused');
        const owner = startChild({ ...base(), role: 'owner', workflow, runId, params, lease: 500, heartbeat: 100 });
        await claimed(runId);
        await sleep(random(100, 400));
        owner.proc.kill('SIGSTOP');
        const recoverer = startChild({ ...base(), role: 'recoverer', runId, lease: 500, heartbeat: 100 });
        // three leases long: the recoverer takes the run over meanwhile, unless the owner was paused
        // inside a transaction holding the run's row (MariaDB): then the claim waits for it to wake
        await sleep(1_500 + random(0, 300));
        owner.proc.kill('SIGCONT');
        await Promise.all([owner.exited, recoverer.exited]);
        expect(owner.output()).toMatch(/error lease-lost: (Run|Map item run ".*": its run) ".*" was claimed by another execution (\(owner recoverer-\d+\) )?at epoch 2|result completed/);
        expect(await db.store.getRun(runId)).toMatchObject({ status: 'completed' });
        await judge(workflow === 'chaos.map' ? 'paused map owners' : 'paused sequential owners', runId, maxInFlight);
      }
    }, 90_000);

    it('a frozen database under two processes that both recover: the run ends completed with every step once, whoever holds it', async () => {
      const runId = fresh('frozen');
      const owner = startChild({ ...base(), role: 'owner', workflow: 'chaos.sequential', runId, params: {}, steps: 40, lease: 1000, heartbeat: 250, recoverToo: true, recoverEveryMs: 100 });
      const other = startChild({ ...base(), role: 'recoverer', runId, lease: 1000, heartbeat: 250, recoverEveryMs: 100 });
      await claimed(runId);
      await sleep(random(200, 500));
      await db.freeze(2_500, runId, log);
      await Promise.all([owner.exited, other.exited]);
      expect(await db.store.getRun(runId)).toMatchObject({ status: 'completed' });
      await judge('frozen-database trials', runId, 1);
    }, 60_000);

    it('a map of thousands of synchronous items keeps its lease: nobody takes it over', async () => {
      const runId = fresh('starved');
      const items = name === 'sqlite' ? 5_000 : 1_000;
      const owner = startChild({ ...base(), role: 'owner', workflow: 'chaos.map', runId, params: { items }, syncItems: true, concurrency: 8, lease: 1000, heartbeat: 250 });
      await claimed(runId);
      const watcher = startChild({ ...base(), role: 'recoverer', runId, lease: 1000, heartbeat: 250, recoverEveryMs: 100, maxMs: 60_000 });
      await Promise.all([owner.exited, watcher.exited]);
      expect(owner.output()).toContain('result completed');
      expect(
        entriesOf(log, runId)
          .filter((e) => e.ev === 'claim')
          .map((e) => e.epoch),
      ).toEqual([1]);
      await judge('starved-loop trials', runId, 8);
    }, 120_000);

    it('a map item that fails stops its siblings: nothing starts after the run resolves, and the resume (after a purge that keeps failed runs) completes each item once', async () => {
      for (const purgeFirst of [false, true]) {
        const runId = fresh('halted');
        const owner = startChild({ ...base(), role: 'owner', workflow: 'chaos.map', runId, params: { items: 30, fail_item: 9 }, resumeAfter: true, purgeFirst });
        await owner.exited;
        expect(owner.output()).toContain('result failed | resumed completed');
        const entries = entriesOf(log, runId);
        const resolved = entries.find((e) => e.ev === 'resolved')!;
        const lateStarts = entries.filter((e) => e.ev === 'start' && e.epoch === 1 && e.t > resolved.t);
        expect(lateStarts).toEqual([]);
        // what the first execution completed is not run again
        const completedFirst = new Set(entries.filter((e) => e.ev === 'end' && e.epoch === 1 && e.item !== null && e.item !== 9).map((e) => e.item));
        const startedAgain = entries.filter((e) => e.ev === 'start' && e.epoch === 2 && completedFirst.has(e.item));
        expect(startedAgain.length).toBeLessThanOrEqual(4); // only the items halted in flight (they ended, but their map had failed)
        await judge(purgeFirst ? 'fail-purge-resume trials' : 'fail-resume trials', runId, 4);
      }
    }, 60_000);

    it('a cancel from another process while the owner runs: the owner stops at its next step commit', async () => {
      for (let trial = 0; trial < 2; trial++) {
        const runId = fresh('cancelled');
        const cancel = startChild({ ...base(), role: 'cancel', runId, delayMs: random(100, 400) });
        await cancel.printed('ready');
        const owner = startChild({ ...base(), role: 'owner', workflow: 'chaos.sequential', runId, params: {}, steps: 40, heartbeat: 5_000, lease: 15_000 });
        await Promise.all([owner.exited, cancel.exited]);
        expect(owner.output()).toContain('result cancelled');
        const entries = entriesOf(log, runId);
        const asked = entries.find((e) => e.ev === 'cancel')!;
        const observed = entries.find((e) => e.ev === 'cancel-observed')!;
        expect(entries.filter((e) => e.ev === 'start' && e.t > asked.t).length).toBeLessThanOrEqual(1);
        expect(entries.filter((e) => e.ev === 'start' && e.t > observed.t)).toEqual([]);
        expect(await db.store.getRun(runId)).toMatchObject({ status: 'cancelled', cancelRequested: true });
        await judge('cancels of a live owner', runId, 1);
      }
    }, 60_000);

    it('a cancel of a run whose owner was killed: recovery marks it cancelled and starts nothing', async () => {
      for (let trial = 0; trial < 2; trial++) {
        const runId = fresh('orphan');
        const owner = startChild({ ...base(), role: 'owner', workflow: 'chaos.sequential', runId, params: {}, lease: 600, heartbeat: 150 });
        await claimed(runId);
        await sleep(random(100, 300));
        owner.proc.kill('SIGKILL');
        await owner.exited;
        // what the log held when the owner was dead: entries are appended in the order they happen
        // (compared by position, not by time: this process's clock origin is older than the children's and may drift from it)
        const atKill = entriesOf(log, runId).length;
        const cancel = startChild({ ...base(), role: 'cancel', runId });
        await cancel.exited;
        const recoverer = startChild({ ...base(), role: 'recoverer', runId, lease: 600, heartbeat: 150, maxMs: 5_000 });
        await recoverer.exited;
        expect(recoverer.output()).toContain('run cancelled');
        expect(
          entriesOf(log, runId)
            .slice(atKill)
            .filter((e) => e.ev === 'start' || e.ev === 'claim'),
        ).toEqual([]);
        await judge('cancels of a killed owner', runId, 1);
      }
    }, 60_000);
  });
}

chaosSuite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spine-chaos-db-'));
  const file = join(dir, 'chaos.db');
  const dataSource = await createSpineDataSource(sqliteOptions(file)).initialize();
  await dataSource.runMigrations();
  return {
    driver: 'sqlite',
    url: file,
    dataSource,
    store: new TypeOrmRunStore(dataSource),
    async freeze(ms, runId, log) {
      const holder: Child = startChild({ database: file, log, role: 'freeze-sqlite', runId, freezeMs: ms });
      await holder.exited;
    },
  };
});

/** Starts N processes at once that each migrate the same empty database; all must succeed. */
async function migrateAtOnce(database: string, processes: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spine-migrate-'));
  try {
    const children = Array.from({ length: processes }, () => startChild({ database, log: join(dir, 'log'), role: 'migrate' }));
    await Promise.all(children.map((c) => c.exited));
    for (const child of children) expect(child.output()).toContain('migrated');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('migrations started by many processes at once on an empty SQLite database', () => {
  it('all succeed; the migrations ran once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spine-migrate-db-'));
    try {
      await migrateAtOnce(join(dir, 'fresh.db'), 8);
      const dataSource = await createSpineDataSource(sqliteOptions(join(dir, 'fresh.db'))).initialize();
      expect((await dataSource.query('SELECT name FROM migrations ORDER BY id')).map((r: { name: string }) => r.name)).toEqual([
        'InitialSchema1767225600000',
        'FencingEpochs1767312000000',
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
      await dataSource.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

if (mariaDbInstalled() && process.env.SPINE_TEST_MYSQL !== 'off') {
  let server: Promise<ThrowawayMariaDb> | null = null;
  /** A server of this file's own (freezing it must not stall other suites), with a 1 MiB max_allowed_packet. */
  const ownServer = (): Promise<ThrowawayMariaDb> => (server ??= startMariaDb(['--max-allowed-packet=1M']));
  const freshDatabase = async (name: string): Promise<string> => {
    const { url } = await ownServer();
    const admin = await createConnection(url);
    await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
    await admin.end();
    return `${url}${name}`;
  };
  afterAll(async () => (await server)?.stop(), 30_000);

  chaosSuite('mariadb', async () => {
    const url = await freshDatabase('chaos');
    const dataSource = await createSpineDataSource(mysqlOptions(url)).initialize();
    await dataSource.runMigrations();
    const { pid } = await ownServer();
    return {
      driver: 'mariadb',
      url,
      dataSource,
      store: new TypeOrmRunStore(dataSource),
      async freeze(ms) {
        process.kill(pid, 'SIGSTOP');
        await sleep(ms);
        process.kill(pid, 'SIGCONT');
      },
    };
  });

  describe('migrations started by many processes at once on an empty MariaDB database', () => {
    it('all succeed under the migration lock; the migrations ran once', async () => {
      const url = await freshDatabase('race');
      await migrateAtOnce(url, 8);
      const dataSource = await createSpineDataSource(mysqlOptions(url)).initialize();
      expect((await dataSource.query('SELECT name FROM migrations ORDER BY id')).map((r: { name: string }) => r.name)).toEqual([
        'InitialSchema1767225600000',
        'FencingEpochs1767312000000',
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
      await dataSource.destroy();
    }, 60_000);
  });

  describe('an output under maxOutputBytes but over the server’s max_allowed_packet (1 MiB here)', () => {
    it('fails its step cleanly (VALIDATION, naming the limit) instead of failing every write for ever', async () => {
      const { Step, Workflow, WorkflowRunner, ErrorCategory } = await import('spine-orchestration');
      const dataSource = await createSpineDataSource(mysqlOptions(await freshDatabase('packet'))).initialize();
      try {
        await dataSource.runMigrations();
        let size = 1_500_000;
        const wf = Workflow.define({ name: 'packet.big', steps: [Step.lambda('export', () => ({ blob: 'x'.repeat(size) })), Step.lambda('after', () => ({}))] });
        const runner = new WorkflowRunner({ store: new TypeOrmRunStore(dataSource) });
        const failed = await runner.execute(wf);
        expect(failed).toMatchObject({ status: 'failed', errorStep: 'export', errorCategory: ErrorCategory.VALIDATION });
        expect(failed.error).toMatch(/^the output of step "export" \(with its context updates\) takes 1\.4 MiB in its SQL statement, over the database server's max_allowed_packet of 1\.0 MiB/);
        size = 300_000;
        expect((await runner.resume(failed.runId, { workflow: wf })).status).toBe('completed');
      } finally {
        await dataSource.destroy();
      }
    }, 60_000);
  });
} else {
  console.log(
    `chaos, migration race and packet limit on MariaDB NOT RUN: ${process.env.SPINE_TEST_MYSQL === 'off' ? 'SPINE_TEST_MYSQL=off' : 'mariadbd is not installed (apt-get install mariadb-server)'}; this suite starts a MariaDB of its own to freeze.`,
  );
}

if (postgresChaosSkipped() === null) {
  let server: Promise<ThrowawayPostgres> | null = null;
  /** A cluster of this file's own: freezing it must not stall other suites. */
  const ownServer = (): Promise<ThrowawayPostgres> => (server ??= startPostgres());
  afterAll(async () => (await server)?.stop(), 30_000);

  chaosSuite('postgres', async () => {
    const own = await ownServer();
    const { url, dataSource } = await postgresChaosDatabase(own, 'chaos');
    return {
      driver: 'postgres',
      url,
      dataSource,
      store: new TypeOrmRunStore(dataSource),
      async freeze(ms) {
        own.freeze();
        await sleep(ms);
        own.thaw();
      },
    };
  });

  describe('migrations started by many processes at once on an empty PostgreSQL database', () => {
    it('all succeed under the advisory lock; the migrations ran once', async () => {
      const own = await ownServer();
      const { Client } = await import('pg');
      const admin = new Client({ connectionString: own.url });
      await admin.connect();
      await admin.query('CREATE DATABASE race');
      await admin.end();
      const url = own.url.replace(/\/[^/]*$/, '/race');
      await migrateAtOnce(url, 8);
      const dataSource = await createSpineDataSource(postgresOptions(url)).initialize();
      expect((await dataSource.query('SELECT name FROM migrations ORDER BY id')).map((r: { name: string }) => r.name)).toEqual(spineMigrations.map((m) => m.name));
      await dataSource.destroy();
    }, 60_000);
  });
} else {
  console.log(`chaos and migration race on PostgreSQL NOT RUN: ${postgresChaosSkipped()}; this suite starts a cluster of its own to freeze.`);
}
