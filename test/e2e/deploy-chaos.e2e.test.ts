/**
 * A rolling deploy with runs in flight, with real processes on each database: two workers of build
 * 1 (version 1 of every workflow) take 60 runs — linear ones, runs parked on a signal, on a
 * durable timer, and runs with a distributed map (5 items each); two workers of build 2 (version
 * 2: one more step in every workflow) start and take 20 new runs; then the build-1 workers stop,
 * one gracefully and one by SIGKILL, and the signals are sent. Build 2 never touches a version-1
 * run: each is reported stranded, and in a second phase moved by the explicit migration, after
 * which build 2 finishes it. From the side-effect log and the rows: every run completes; every step
 * ran in a process of the version its run was on at that moment; no version-1 run was claimed by
 * build 2 before it was migrated; no step started under a stale epoch; every version-1 run not
 * finished when build 1 left was reported stranded. Counts are printed.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { TypeOrmRunStore } from '../../src/persistence';
import { mariaDbInstalled, startMariaDb, type ThrowawayMariaDb } from '../support/mariadb';
import { startPostgres, type ThrowawayPostgres } from '../support/postgres';
import { allEntries, mariaDbChaosDatabase, postgresChaosDatabase, postgresChaosSkipped, sqliteChaosDatabase, startChild, useChaosDatabase, verdict, type Child, type Entry } from './support/chaos';

jest.setTimeout(60_000);

const DEPLOY_CHILD = join(__dirname, 'support', 'deploy-child.cjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 60 runs for build 1: 24 linear, 12 on a signal, 12 on a timer, 12 with a distributed map; 20 for build 2. */
const OLD_RUNS = Array.from({ length: 60 }, (_, i) => ({ workflow: ['dc.linear', 'dc.linear', 'dc.signal', 'dc.timer', 'dc.map'][i % 5]!, i }));
const NEW_RUNS = Array.from({ length: 20 }, (_, i) => ({ workflow: ['dc.linear', 'dc.signal', 'dc.timer', 'dc.map'][i % 4]!, i: 100 + i }));

interface DeployDatabase {
  readonly url: string;
  readonly dataSource: DataSource;
}

const idsOf = (child: Child, word: string): string[] => JSON.parse(child.output().split(`${word} `)[1]!.split('\n')[0]!) as string[];

function deployChaos(name: 'sqlite' | 'mariadb' | 'postgres', open: () => Promise<DeployDatabase>): void {
  describe(`rolling deploy on ${name}`, () => {
    const suite = useChaosDatabase('spine-deploy-chaos-', open);

    it('old workers finish old runs, new workers new ones; runs left behind are reported stranded and migrated; no step runs under another definition', async () => {
      const db = suite.db();
      const log = join(suite.dir(), 'side-effects.log');
      writeFileSync(log, '');
      const store = new TypeOrmRunStore(db.dataSource);
      const base = { database: db.url, log };
      const child = (version: 1 | 2, role: string, extra: Record<string, unknown> = {}) => startChild({ ...base, version, role, ...extra }, DEPLOY_CHILD);

      // build 1: its runs, its two workers
      const enqueueOld = child(1, 'enqueue', { runs: OLD_RUNS });
      await enqueueOld.printed('enqueued', 60_000);
      const oldRuns = idsOf(enqueueOld, 'enqueued');
      const oldWorkers = [child(1, 'worker'), child(1, 'worker')];
      await Promise.all(oldWorkers.map((w) => w.printed('ready')));
      const signalRuns = oldRuns.filter((_, i) => OLD_RUNS[i]!.workflow === 'dc.signal');
      // work in flight: some runs done, the signal runs parked
      const deadline = Date.now() + 60_000;
      for (;;) {
        const runs = await Promise.all(oldRuns.map((id) => store.getRun(id)));
        const completed = runs.filter((r) => r?.status === 'completed').length;
        const parkedOnSignal = runs.filter((r) => r?.waitingFor === 'approve').length;
        if (completed >= 12 && parkedOnSignal >= 6) break;
        if (Date.now() > deadline) throw new Error(`build 1 made no progress: ${completed} completed, ${parkedOnSignal} parked on the signal`);
        await sleep(50);
      }

      // build 2 arrives beside it, with runs of its own
      const newWorkers = [child(2, 'worker'), child(2, 'worker')];
      await Promise.all(newWorkers.map((w) => w.printed('ready')));
      const enqueueNew = child(2, 'enqueue', { runs: NEW_RUNS });
      await enqueueNew.printed('enqueued', 60_000);
      const newRuns = idsOf(enqueueNew, 'enqueued');
      await sleep(400);

      // build 1 leaves: one worker gracefully (its runs handed off), one killed
      oldWorkers[0]!.proc.kill('SIGTERM');
      oldWorkers[1]!.proc.kill('SIGKILL');
      appendFileSync(log, `${JSON.stringify({ ev: 'killed', run: '-', step: String(oldWorkers[1]!.pid), pid: process.pid, t: Date.now() })}\n`);
      await Promise.all(oldWorkers.map((w) => w.exited));
      const leftAt = Date.now();
      // the signals: build 2's runs go on at once, build 1's wait for a process of their version
      const newSignalRuns = newRuns.filter((_, i) => NEW_RUNS[i]!.workflow === 'dc.signal');
      await child(2, 'signal', { runIds: [...signalRuns, ...newSignalRuns] }).printed('signalled');

      // build 2 finishes its own runs and never takes one of build 1
      const newDone = Date.now() + 60_000;
      while ((await Promise.all(newRuns.map((id) => store.getRun(id)))).some((r) => r?.status !== 'completed')) {
        if (Date.now() > newDone) throw new Error('build 2 did not finish its runs');
        await sleep(100);
      }
      await sleep(1_500); // past the killed worker's leases: its runs are orphans now, and still nobody of build 1 is left
      const unfinishedOld = (await Promise.all(oldRuns.map((id) => store.getRun(id)))).filter((r) => r !== null && r.status !== 'completed');
      expect(unfinishedOld.every((r) => r!.workflowVersion === 1)).toBe(true);

      // phase 2: the explicit migration; it first reports what is stranded
      const migrate = child(2, 'migrate');
      await migrate.printed('migrated', 60_000);
      const stranded = JSON.parse(migrate.output().split('stranded ')[1]!.split('\n')[0]!) as { runId: string; workflow: string; version: number; status: string }[];
      const strandedKinds = [...new Set(stranded.map((s) => `${s.workflow} ${s.status}`))].map((kind) => `${stranded.filter((s) => `${s.workflow} ${s.status}` === kind).length} ${kind}`).join(', ');
      const strandedTop = new Set(stranded.filter((s) => s.workflow !== 'dc.item').map((s) => s.runId));
      expect([...strandedTop].sort()).toEqual(unfinishedOld.map((r) => r!.runId).sort());
      expect(stranded.every((s) => s.version === 1)).toBe(true);
      const { moved, items: itemsMoved } = JSON.parse(migrate.output().split('migrated ')[1]!.split('\n')[0]!) as { moved: string[]; items: number };
      expect(moved.sort()).toEqual(unfinishedOld.map((r) => r!.runId).sort());

      const allDone = Date.now() + 60_000;
      while ((await Promise.all(oldRuns.map((id) => store.getRun(id)))).some((r) => r?.status !== 'completed')) {
        if (Date.now() > allDone)
          throw new Error(
            `migrated runs did not finish: ${JSON.stringify((await Promise.all(oldRuns.map((id) => store.getRun(id)))).filter((r) => r?.status !== 'completed').map((r) => [r?.runId, r?.status, r?.workflowVersion]))}`,
          );
        await sleep(100);
      }
      for (const w of newWorkers) w.proc.kill('SIGTERM');
      await Promise.all(newWorkers.map((w) => w.exited));

      // every step ran in a process of the version its run was on at that moment: a run started on
      // version 2 only in build 2; one of version 1 in build 1 until the migration of its workflow
      // began, and in build 2 only after it, in a newer epoch than any of build 1 (a move raises the epoch)
      const entries = allEntries(log);
      const migrationOf = new Map(entries.filter((e) => e.ev === ('migrating' as Entry['ev'])).map((e) => [String(e.step), e.t]));
      const migrated = new Set(moved);
      const items = (await store.listRuns({ includeChildren: true, limit: 10_000 })).filter((r) => r.parentRunId !== null);
      const parentOf = new Map(items.map((i) => [i.runId, i.parentRunId!]));
      const topOf = (run: string): string => parentOf.get(run) ?? run;
      const workflowOf = new Map((await store.listRuns({ limit: 1_000 })).map((r) => [r.runId, r.workflowName]));
      const newSet = new Set(newRuns);
      const versionOf = (e: Entry): number => (e as Entry & { version: number }).version;
      const mismatched: string[] = [];
      let steps = 0;
      const byExec = new Map<string, Entry[]>();
      for (const e of entries.filter((x) => (x.ev === 'start' || x.ev === 'claim') && x.run !== '-')) {
        if (e.ev === 'start') steps++;
        byExec.set(e.run, [...(byExec.get(e.run) ?? []), e]);
      }
      for (const [run, own] of byExec) {
        const top = topOf(run);
        const what = (e: Entry) => `${e.ev} ${run}${run === top ? '' : ` (item of ${top})`} ${e.step ?? ''} epoch ${e.epoch} by build ${versionOf(e)}`;
        if (newSet.has(top)) {
          for (const e of own.filter((x) => versionOf(x) !== 2)) mismatched.push(`${what(e)}: a run of version 2`);
          continue;
        }
        const since = migrationOf.get(workflowOf.get(top) ?? '') ?? Number.POSITIVE_INFINITY;
        for (const e of own.filter((x) => versionOf(x) === 2)) {
          if (!migrated.has(top)) mismatched.push(`${what(e)}: a run of version 1 never migrated`);
          else if (e.t < since) mismatched.push(`${what(e)}: before its migration began`);
        }
        const lastOld = Math.max(0, ...own.filter((x) => versionOf(x) === 1).map((x) => x.epoch ?? 0));
        const firstNew = Math.min(Number.POSITIVE_INFINITY, ...own.filter((x) => versionOf(x) === 2).map((x) => x.epoch ?? 0));
        // (a map item's steps run under its top-level run's epoch, its claims under its own: compared for top-level runs)
        if (run === top && firstNew <= lastOld) mismatched.push(`${run}: build 2 ran it in epoch ${firstNew}, not after build 1's last epoch ${lastOld}`);
      }
      expect(mismatched).toEqual([]);
      expect(entries.filter((e) => e.ev === 'start' && (e as Entry & { version: number }).version === 1 && e.t > leftAt)).toEqual([]);

      // every run and item completed; completed steps recorded once; no step under a stale epoch
      const top = await store.listRuns({ limit: 1_000 });
      expect(top.filter((r) => r.status !== 'completed')).toEqual([]);
      expect(items.filter((r) => r.status !== 'completed')).toEqual([]);
      const byRun = new Map<string, Entry[]>();
      for (const e of entries) if (e.run !== '-') byRun.set(e.run, [...(byRun.get(e.run) ?? []), e]);
      const violations: string[] = [];
      for (const [run, own] of byRun) violations.push(...verdict(own, 1).violations.map((v) => `${run}: ${v}`));
      expect(violations).toEqual([]);
      const duplicates: string[] = [];
      for (const run of [...top, ...items]) {
        const seen = new Map<string, number>();
        for (const row of await store.getRunSteps(run.runId)) if (row.status === 'completed') seen.set(`${row.stepName}:${row.iteration}`, (seen.get(`${row.stepName}:${row.iteration}`) ?? 0) + 1);
        for (const [key, n] of seen) if (n !== 1) duplicates.push(`${run.runId}: ${key} × ${n}`);
      }
      expect(duplicates).toEqual([]);
      const finishedOnOld = oldRuns.length - moved.length;
      console.log(
        `rolling deploy on ${name}: ${oldRuns.length} build-1 runs (${finishedOnOld} finished on build 1, ${moved.length} stranded when it left: all reported (${strandedKinds}), then migrated with ${itemsMoved} map items), ` +
          `${newRuns.length} build-2 runs finished on build 2, ${items.length} distributed items; 1 graceful stop, 1 SIGKILL; ${steps} step starts and claims checked; ` +
          `${mismatched.length + violations.length + duplicates.length} violations`,
      );
      expect(moved.length).toBeGreaterThan(0);
      expect(finishedOnOld).toBeGreaterThan(0);
    }, 180_000);
  });
}

deployChaos('sqlite', () => sqliteChaosDatabase('spine-deploy-chaos-db-'));

if (mariaDbInstalled() && process.env.SPINE_TEST_MYSQL !== 'off') {
  let server: Promise<ThrowawayMariaDb> | null = null;
  afterAll(async () => (await server)?.stop(), 30_000);
  deployChaos('mariadb', async () => mariaDbChaosDatabase(await (server ??= startMariaDb()), 'deploy_chaos'));
} else {
  console.log(`rolling deploy on MariaDB NOT RUN: ${process.env.SPINE_TEST_MYSQL === 'off' ? 'SPINE_TEST_MYSQL=off' : 'mariadbd is not installed (apt-get install mariadb-server)'}.`);
}

if (postgresChaosSkipped() === null) {
  let server: Promise<ThrowawayPostgres> | null = null;
  afterAll(async () => (await server)?.stop(), 30_000);
  deployChaos('postgres', async () => postgresChaosDatabase(await (server ??= startPostgres()), 'deploy_chaos'));
} else {
  console.log(`rolling deploy on PostgreSQL NOT RUN: ${postgresChaosSkipped()}.`);
}
