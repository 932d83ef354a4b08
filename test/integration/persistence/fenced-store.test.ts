import { LeaseLostError, Step, Workflow, WorkflowRunner, type WorkflowDefinition } from 'spine-orchestration';
import { TABLES, TypeOrmRunStore } from '../../../src/persistence';
import { testDrivers, useTestDatabase, type TestDatabase } from '../../support/databases';
import { gate, pausableStore } from '../../fixtures/stores';

import { sleep, until } from '../../support/polling';
const lookup = (...wfs: WorkflowDefinition[]) => ({ get: (n: string) => wfs.find((w) => w.name === n), names: () => wfs.map((w) => w.name) });

describe.each(testDrivers())('the durable store under faults (%s)', (driver) => {
  const database = useTestDatabase(driver);
  let db: TestDatabase;
  beforeAll(() => {
    db = database();
  });

  describe('map items of a run claimed by another execution', () => {
    it('can neither be started nor committed by the stale parent; every item completes exactly once', async () => {
      const inner = new TypeOrmRunStore(db.dataSource);
      const paused = pausableStore(inner);
      const held = gate();
      const starts: string[] = [];
      const item = Workflow.define({
        name: `fenced.item.${driver}`,
        steps: [
          Step.lambda('work', async (ctx, _c, step) => {
            starts.push(`${ctx.getParam<number>('n')}@${step.epoch}`);
            if (step.epoch === 1) await held.wait();
            return { n: ctx.getParam<number>('n') };
          }),
        ],
      });
      const wf = Workflow.define({ name: `fenced.map.${driver}`, steps: [Step.map('fan', { items: [0, 1, 2, 3, 4, 5, 6, 7], itemParam: 'n', iterator: item, maxConcurrency: 2 })] });
      const a = new WorkflowRunner({ store: paused, lease: { owner: 'A', durationMs: 150, heartbeatMs: 30 }, workflows: lookup(wf, item) });
      const b = new WorkflowRunner({ store: inner, lease: { owner: 'B', durationMs: 60_000 }, workflows: lookup(wf, item) });
      const stale = a.execute(wf).then(
        () => null,
        (e: unknown) => e,
      );
      await until(async () => starts.length === 2); // A's two items are in flight
      paused.pause();
      await sleep(250);
      const [run] = await inner.listRuns({ workflow: wf.name });
      const taken = await b.resume(run!.runId);
      expect(taken.status).toBe('completed');
      paused.resume();
      held.open(); // A's two items in flight finish now: their commits are refused, and A starts no other item
      expect(await stale).toBeInstanceOf(LeaseLostError);
      await sleep(50);
      // the two items in flight (in either order: they start side by side), and no other
      expect(starts.filter((s) => s.endsWith('@1')).sort()).toEqual(['0@1', '1@1']);
      expect(
        starts
          .filter((s) => s.endsWith('@2'))
          .map((s) => Number(s.split('@')[0]))
          .sort(),
      ).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      // one row per item, each written once, by the claim that holds the run
      const items = await inner.listMapItems(run!.runId, 'fan', 1);
      expect(items.map((i) => `${i.index}:${i.status}@${i.epoch}`)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `${i}:completed@2`));
      expect(await inner.listRuns({ parentRunId: run!.runId })).toEqual([]);
    });
  });

  describe('a row whose JSON cannot be read', () => {
    it('fails only its own run, naming run and column; listings skip it with a warning and recovery goes on with the others', async () => {
      const warnings: string[] = [];
      const store = new TypeOrmRunStore(db.dataSource, { warn: (m) => warnings.push(m) });
      const wf = Workflow.define({ name: `corrupt.${driver}`, steps: [Step.lambda('a', async () => void (await sleep(5))), Step.lambda('b', () => ({ b: true }))] });
      const dying = new WorkflowRunner({ store, lease: { owner: 'dying', durationMs: 20, heartbeatMs: 60_000 }, workflows: lookup(wf) });
      // two orphans: their owner is "gone" (its heartbeat never runs), their leases expire
      const zombies = [dying.execute(wf, { runId: `good-${driver}` }), dying.execute(wf, { runId: `bad-${driver}` })].map((p) => p.catch(() => null));
      await Promise.all(zombies);
      await db.dataSource.query(`UPDATE ${TABLES.runs} SET status = 'running', lease_owner = 'dead', lease_expires_at = ? WHERE run_id IN (?, ?)`, [
        '2020-01-01 00:00:00.000',
        `good-${driver}`,
        `bad-${driver}`,
      ]);
      if (driver === 'postgres') {
        // a jsonb column refuses text that is not JSON: the run stays readable, and recovery takes both
        await expect(db.dataSource.query(`UPDATE ${TABLES.runs} SET params = ? WHERE run_id = ?`, ['{"week": broken', `bad-${driver}`])).rejects.toThrow(/invalid input syntax for type json/);
        const recovered = await new WorkflowRunner({ store, lease: { owner: 'survivor' }, workflows: lookup(wf) }).recover();
        expect(recovered.map((r) => `${r.runId}:${r.status}`).sort()).toEqual([`bad-${driver}:completed`, `good-${driver}:completed`]);
        return;
      }
      await db.dataSource.query(`UPDATE ${TABLES.runs} SET params = ? WHERE run_id = ?`, ['{"week": broken', `bad-${driver}`]);

      const listed = await store.listRuns({ workflow: wf.name });
      expect(listed.map((r) => r.runId)).toEqual([`good-${driver}`]);
      expect(warnings).toEqual([expect.stringMatching(new RegExp(`left run bad-${driver} out of a listing: column core_workflow_runs.params of run "bad-${driver}" holds text that is not JSON`))]);
      expect(await store.getRun(`bad-${driver}`)).toMatchObject({ corruption: expect.stringContaining('core_workflow_runs.params') });

      const recovered = await new WorkflowRunner({ store, lease: { owner: 'survivor' }, workflows: lookup(wf) }).recover();
      expect(recovered.map((r) => `${r.runId}:${r.status}`)).toEqual([`good-${driver}:completed`]);
      expect(await store.getRun(`bad-${driver}`)).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(
          new RegExp(`^Run "bad-${driver}" of workflow "corrupt.${driver}" cannot be resumed: column core_workflow_runs.params .* holds text that is not JSON .*The run is marked failed`),
        ),
      });
    });

    it('in a step row: resuming names run, step and column, and marks that run failed', async () => {
      const store = new TypeOrmRunStore(db.dataSource);
      const wf = Workflow.define({ name: `corrupt.step.${driver}`, steps: [Step.lambda('a', () => ({ a: 1 })), Step.lambda('b', () => Promise.reject(new Error('down')))] });
      const runner = new WorkflowRunner({ store, workflows: lookup(wf) });
      const failed = await runner.execute(wf);
      if (driver === 'postgres') {
        await expect(db.dataSource.query(`UPDATE ${TABLES.steps} SET output = ? WHERE run_id = ? AND step_name = 'a'`, ['{not json', failed.runId])).rejects.toThrow(
          /invalid input syntax for type json/,
        );
        expect((await store.getRunSteps(failed.runId))[0]).toMatchObject({ stepName: 'a', output: { a: 1 } });
        return;
      }
      await db.dataSource.query(`UPDATE ${TABLES.steps} SET output = ? WHERE run_id = ? AND step_name = 'a'`, ['{not json', failed.runId]);
      await expect(runner.resume(failed.runId)).rejects.toThrow(
        new RegExp(`cannot be resumed: column core_workflow_run_steps.output of run "${failed.runId}", step "a" \\(row id \\d+\\) holds text that is not JSON`),
      );
      expect(await store.getRun(failed.runId)).toMatchObject({ status: 'failed', error: expect.stringContaining('core_workflow_run_steps.output') });
    });
  });

  describe('purge with keepFailed', () => {
    it('keeps the completed items of a failed run, so its resume runs only the item that failed', async () => {
      const store = new TypeOrmRunStore(db.dataSource);
      const calls: number[] = [];
      let broken = true;
      const item = Workflow.define({
        name: `purge.item.${driver}`,
        steps: [
          Step.lambda('work', (ctx) => {
            const n = ctx.getParam<number>('n');
            calls.push(n);
            if (n === 4 && broken) throw new Error('week 4 missing');
            return { n };
          }),
        ],
      });
      const wf = Workflow.define({ name: `purge.map.${driver}`, steps: [Step.map('fan', { items: [0, 1, 2, 3, 4], itemParam: 'n', iterator: item, maxConcurrency: 1 })] });
      const fine = Workflow.define({ name: `purge.fine.${driver}`, steps: [Step.map('fan', { items: [0, 1], itemParam: 'n', iterator: item })] });
      const runner = new WorkflowRunner({ store, workflows: lookup(wf, fine, item) });
      const failed = await runner.execute(wf);
      const completed = await runner.execute(fine);
      expect([failed.status, completed.status]).toEqual(['failed', 'completed']);
      await sleep(5);
      expect(await store.purge({ before: new Date(Date.now() + 1000), keepFailed: true })).toBeGreaterThanOrEqual(1);
      expect(await store.getRun(completed.runId)).toBeNull();
      expect(await store.listRuns({ parentRunId: completed.runId })).toEqual([]);
      expect((await store.listMapItems(failed.runId, 'fan', 1)).map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed', 'failed']);
      broken = false;
      calls.length = 0;
      expect((await runner.resume(failed.runId)).status).toBe('completed');
      expect(calls).toEqual([4]);
      // without keepFailed, finished runs go too, each with every one of its items
      await runner.execute(wf).then((r) => expect(r.status).toBe('completed'));
      await sleep(5);
      await store.purge({ before: new Date(Date.now() + 1000) });
      expect(await store.getRun(failed.runId)).toBeNull();
      expect(await store.listMapItems(failed.runId, 'fan', 1)).toEqual([]);
    });
  });

  describe('a durable map of thousands of synchronous items', () => {
    it('lets timers run while it works (heartbeats and cancels are not starved)', async () => {
      let turns = 0;
      /** The timer's count as each item ran: it moves while the map works unless the loop is starved. */
      const seen: number[] = [];
      const item = Workflow.define({ name: `sync.item.${driver}`, steps: [Step.lambda('work', () => (seen.push(turns), { ok: true }))] });
      const wf = Workflow.define({
        name: `sync.map.${driver}`,
        steps: [Step.map('fan', { items: Array.from({ length: driver === 'sqlite' ? 3_000 : driver === 'postgres' ? 1_500 : 600 }, (_, i) => i), iterator: item, maxConcurrency: 8 })],
      });
      const timer = setInterval(() => turns++, 5);
      const result = await new WorkflowRunner({ store: new TypeOrmRunStore(db.dataSource) }).execute(wf);
      clearInterval(timer);
      expect(result.status).toBe('completed');
      // the timer fired between items, more than once, while they ran
      expect(seen[seen.length - 1]! - seen[0]!).toBeGreaterThanOrEqual(2);
    });
  });
});
