import { LeaseLostError, Spine, Step, Workflow, WorkflowRunner, type QueueLimits } from 'spine-orchestration';
import type { DataSource } from 'typeorm';
import { TypeOrmRunStore } from '../../../src/persistence';
import { claimCandidatesSql } from '../../../src/persistence/queue.sql';
import { postgresPlan, testDrivers, useTestDatabase, type TestDatabase } from '../../support/databases';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(testDrivers())('the run queue on a database (%s)', (driver) => {
  const database = useTestDatabase(driver);
  let db: TestDatabase;
  const others: DataSource[] = [];
  beforeAll(() => {
    db = database();
  });
  afterAll(async () => {
    await Promise.all(others.map((o) => o.destroy()));
  });
  /** A store on a DataSource of its own: another process, in effect (its own connection / pool). */
  const anotherStore = async () => {
    const dataSource = await db.open();
    others.push(dataSource);
    return new TypeOrmRunStore(dataSource);
  };

  let n = 0;
  const wf = () => Workflow.define({ name: `queue.${driver}.${++n}`, steps: [Step.lambda('one', () => ({ ok: true }))] });

  async function enqueue(store: TypeOrmRunStore, name: string, count: number, options: { queue: string; key?: (i: number) => string | null; priority?: (i: number) => number }) {
    const runner = new WorkflowRunner({ store });
    const definition = Workflow.define({ name, steps: [Step.lambda('one', () => undefined)] });
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push((await runner.enqueue(definition, { queue: options.queue, concurrencyKey: options.key?.(i) ?? null, priority: options.priority?.(i) ?? 0 })).runId);
    }
    return ids;
  }

  async function claimFromMany(stores: TypeOrmRunStore[], queue: string, limits: QueueLimits, workflow: string, rounds: number, max: number) {
    const claims = await Promise.all(
      stores.flatMap((store, s) =>
        Array.from({ length: rounds }, async (_, r) => {
          const now = Date.now();
          return store.claimQueued({
            owner: `worker-${s}-${r}`,
            queues: [{ name: queue, limits }],
            max,
            now: new Date(now),
            leaseExpiresAt: new Date(now + 60_000),
            held: { hashes: [], anyOf: [workflow] },
          });
        }),
      ),
    );
    return claims.flat();
  }

  it('claims taken at once by several processes never exceed the queue concurrency, and never take a run twice', async () => {
    const store = new TypeOrmRunStore(db.dataSource);
    const name = `limited.${driver}`;
    const ids = await enqueue(store, name, 20, { queue: `q-limited-${driver}` });
    const stores = [store, await anotherStore(), await anotherStore()];
    const claimed = await claimFromMany(stores, `q-limited-${driver}`, { concurrency: 3 }, name, 4, 5);
    expect(claimed).toHaveLength(3);
    expect(new Set(claimed.map((c) => c.run.runId)).size).toBe(3);
    for (const c of claimed) {
      expect(ids).toContain(c.run.runId);
      expect(c).toMatchObject({ firstStart: true, lost: false, run: { status: 'running', leaseEpoch: 1 } });
    }
    const stats = (await store.queueStats(new Date())).find((q) => q.queue === `q-limited-${driver}`);
    expect(stats).toMatchObject({ queued: 17, due: 17, running: 3, waiting: 0 });
  });

  it('runs sharing a concurrency key are claimed one at a time (the default per-key limit), across processes', async () => {
    const store = new TypeOrmRunStore(db.dataSource);
    const name = `keyed.${driver}`;
    await enqueue(store, name, 9, { queue: `q-keyed-${driver}`, key: (i) => `tier-${i % 3}` });
    const claimed = await claimFromMany([store, await anotherStore()], `q-keyed-${driver}`, {}, name, 3, 4);
    expect(claimed.map((c) => c.run.concurrencyKey).sort()).toEqual(['tier-0', 'tier-1', 'tier-2']);
    const stats = (await store.queueStats(new Date())).find((q) => q.queue === `q-keyed-${driver}`)!;
    expect(stats.keys).toEqual([
      { key: 'tier-0', running: 1, queued: 2 },
      { key: 'tier-1', running: 1, queued: 2 },
      { key: 'tier-2', running: 1, queued: 2 },
    ]);
  });

  it('a rate limit counts starts across processes in a sliding window', async () => {
    const store = new TypeOrmRunStore(db.dataSource);
    const name = `rated.${driver}`;
    await enqueue(store, name, 6, { queue: `q-rated-${driver}` });
    const limits = { rateLimit: { max: 2, perMs: 60_000 } };
    expect(await claimFromMany([store, await anotherStore()], `q-rated-${driver}`, limits, name, 3, 5)).toHaveLength(2);
    expect(await claimFromMany([store], `q-rated-${driver}`, limits, name, 1, 5)).toHaveLength(0);
  });

  it('the claim query reads the claim index, not the runs table', async () => {
    // the held definitions: two hashes, and one workflow continued on any definition
    const family = driver === 'sqlite' ? 'sqlite' : driver === 'postgres' ? 'postgres' : 'mysql';
    const sql = claimCandidatesSql(family, 32, "(workflow_hash IN ('a', 'b') OR workflow_name IN ('c'))")
      .replace('claim_queue = ?', "claim_queue = 'q'")
      .replace('lease_expires_at <= ?', `lease_expires_at <= '2026-01-01 00:00:00${driver === 'postgres' ? 'Z' : ''}'`);
    if (driver === 'sqlite') {
      const plan = (await db.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`)) as { detail: string }[];
      const text = plan.map((p) => p.detail).join(' | ');
      console.log(`claim query plan (sqlite): ${text}`);
      expect(text).toMatch(/USING INDEX ix_core_workflow_runs_claim/);
      expect(text).not.toMatch(/TEMP B-TREE/);
    } else if (driver === 'postgres') {
      const nodes = await postgresPlan(db.dataSource, sql);
      console.log(`claim query plan (postgres): ${nodes.join(' > ')}`);
      expect(nodes).toContain('Index Scan using ix_core_workflow_runs_claim');
      expect(nodes).toContain('LockRows');
      expect(nodes.some((n) => n.startsWith('Sort') || n.startsWith('Seq Scan'))).toBe(false);
    } else {
      const plan = (await db.dataSource.query(`EXPLAIN ${sql}`)) as { key: string | null; type: string; Extra: string | null }[];
      console.log(`claim query plan (mariadb): ${JSON.stringify(plan)}`);
      expect(plan[0]).toMatchObject({ key: 'ix_core_workflow_runs_claim' });
      expect(plan[0]!.type).not.toBe('ALL');
      expect(plan[0]!.Extra ?? '').not.toMatch(/filesort/);
    }
  });

  it('a worker on the database runs enqueued runs, parks a long wait, and a distributed map whose items other workers run', async () => {
    const item = Workflow.define({ name: `dm.item.${driver}`, queue: `items-${driver}`, steps: [Step.lambda('double', (ctx) => ({ v: ctx.getParam<number>('item') * 2 }))] });
    const parent = Workflow.define({
      name: `dm.parent.${driver}`,
      queue: `parents-${driver}`,
      steps: [
        Step.map('fan', { items: Array.from({ length: 12 }, (_, i) => i), iterator: item.name, distribute: true }),
        Step.wait('pause', { seconds: 0.3 }),
        Step.lambda('sum', (ctx) => ({ sum: (ctx.getOutput('fan', 'results') as { v: number }[]).reduce((a, r) => a + r.v, 0) })),
      ],
    });
    const common = { workflows: [parent, item], recoverOnStart: false, lease: { durationMs: 3_000 } } as const;
    const producer = await Spine.create({ ...common, database: db.dataSource });
    const workerA = await Spine.create({ ...common, database: await db.open(), worker: { queues: [`parents-${driver}`, `items-${driver}`], pollIntervalMs: 20, parkAfterMs: 100 } });
    const workerB = await Spine.create({ ...common, database: await db.open(), worker: { queues: [`items-${driver}`, `parents-${driver}`], pollIntervalMs: 20, parkAfterMs: 100 } });
    try {
      const { runId } = await producer.enqueue(parent.name);
      const result = await producer.waitForResult(runId, { timeoutMs: 20_000 });
      expect(result.status).toBe('completed');
      expect(result.context.getOutput('sum', 'sum')).toBe(132);
      const children = await producer.listRuns({ parentRunId: runId });
      expect(children).toHaveLength(12);
      for (const child of children) {
        expect(child).toMatchObject({ status: 'completed', queue: `items-${driver}` });
        expect((await producer.getRunSteps(child.runId)).filter((s) => s.status === 'completed')).toHaveLength(1);
      }
      const run = await producer.getRun(runId);
      expect(run).toMatchObject({ status: 'completed', leaseOwner: null });
      expect(run!.leaseEpoch).toBeGreaterThanOrEqual(3); // claimed, woken when its items settled, woken after its wait
      const workers = await producer.listWorkers();
      expect(workers.map((w) => w.workerId)).toEqual(expect.arrayContaining([workerA.runner.owner, workerB.runner.owner]));
    } finally {
      await Promise.all([workerA.close(), workerB.close()]);
      await producer.close();
    }
    expect((await new TypeOrmRunStore(db.dataSource).listWorkers()).map((w) => w.workerId)).not.toContain(undefined);
  });

  it("a queue run's step that outlives its lease is not recorded (its slot may be another run's by then); the next claim runs it again", async () => {
    const store = new TypeOrmRunStore(db.dataSource);
    let calls = 0;
    const definition = Workflow.define({
      name: `outlives.${driver}`,
      steps: [
        Step.lambda('slow', async () => {
          calls++;
          if (calls === 1) await sleep(400); // no heartbeat renews the lease meanwhile (heartbeatMs 60 s)
          return { calls };
        }),
      ],
    });
    const lookup = { get: (x: string) => (x === definition.name ? definition : undefined), names: () => [definition.name] };
    const runner = new WorkflowRunner({ store, workflows: lookup, lease: { owner: 'slowpoke', durationMs: 200, heartbeatMs: 60_000 } });
    const { runId } = await runner.enqueue(definition, { queue: `q-outlive-${driver}` });
    const claim = async (owner: string) => {
      const now = Date.now();
      return store.claimQueued({
        owner,
        queues: [{ name: `q-outlive-${driver}`, limits: {} }],
        max: 1,
        now: new Date(now),
        leaseExpiresAt: new Date(now + 200),
        held: { hashes: [], anyOf: [definition.name] },
      });
    };
    const [first] = await claim('slowpoke');
    const error = await runner.runClaimed(first!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect((error as Error).message).toMatch(/its lease expired before this execution \(epoch 1, owner slowpoke\)/);
    expect((await store.getRunSteps(runId)).filter((s) => s.status === 'completed')).toEqual([]);
    const [second] = await claim('heir');
    expect(second).toMatchObject({ lost: true, run: { leaseEpoch: 2 } });
    const result = await new WorkflowRunner({ store, workflows: lookup, lease: { owner: 'heir' } }).runClaimed(second!);
    expect(result.status).toBe('completed');
    expect(result.context.getOutput('slow', 'calls')).toBe(2);
  });

  it('a worker that dies mid-run leaves its run to another worker once the lease expires', async () => {
    const store = new TypeOrmRunStore(db.dataSource);
    const definition = wf();
    const runner = new WorkflowRunner({ store, workflows: { get: (x) => (x === definition.name ? definition : undefined), names: () => [definition.name] } });
    const { runId } = await runner.enqueue(definition, { queue: `q-dead-${driver}` });
    const now = Date.now();
    const [taken] = await store.claimQueued({
      owner: 'doomed',
      queues: [{ name: `q-dead-${driver}`, limits: {} }],
      max: 1,
      now: new Date(now),
      leaseExpiresAt: new Date(now + 100),
      held: { hashes: [], anyOf: [definition.name] },
    });
    expect(taken).toMatchObject({ firstStart: true });
    await sleep(150);
    const later = Date.now();
    const [again] = await (
      await anotherStore()
    ).claimQueued({
      owner: 'heir',
      queues: [{ name: `q-dead-${driver}`, limits: {} }],
      max: 1,
      now: new Date(later),
      leaseExpiresAt: new Date(later + 60_000),
      held: { hashes: [], anyOf: [definition.name] },
    });
    expect(again).toMatchObject({ firstStart: false, lost: true, run: { runId, leaseOwner: 'heir', leaseEpoch: 2 } });
    expect(await runner.runClaimed(again!)).toMatchObject({ status: 'completed' });
  });
});
