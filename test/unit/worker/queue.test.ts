import { InMemoryRunStore, LeaseLostError, Spine, SpineError, Step, Workflow, WorkflowRunner, type RunEvent } from 'spine-orchestration';

import { createTestSpine } from 'spine-orchestration/testing';
import { sleep, until } from '../../support/polling';
import { useSpines } from '../../support/spines';

const linear = Workflow.define({
  name: 'linear',
  queue: 'work',
  steps: [Step.lambda('a', (ctx) => ({ n: Number(ctx.getParam('n') ?? 0) + 1 })), Step.lambda('b', (ctx) => ({ n: Number(ctx.getOutput('a', 'n')) * 2 }))],
});

describe('the run queue (in-memory store)', () => {
  const { create, forget } = useSpines();

  it('enqueue records a queued run and returns at once; a worker of its queue runs it; waitForResult returns its result', async () => {
    const store = new InMemoryRunStore();
    const producer = await create({ store, workflows: [linear] });
    const { runId } = await producer.enqueue('linear', { params: { n: 4 } });
    expect(await producer.getRun(runId)).toMatchObject({ status: 'queued', queue: 'work', leaseOwner: null, leaseEpoch: 0 });
    expect(await producer.queueStats()).toEqual([expect.objectContaining({ queue: 'work', queued: 1, due: 1, running: 0 })]);
    const events: RunEvent[] = [];
    await create({ store, workflows: [linear], worker: { queues: ['work'], pollIntervalMs: 10 }, onEvent: (e) => void events.push(e) });
    const result = await producer.waitForResult(runId, { timeoutMs: 5_000 });
    expect(result).toMatchObject({ status: 'completed', completedSteps: ['a', 'b'] });
    expect(result.context.getOutput('b', 'n')).toBe(10);
    expect(events.map((e) => e.type)).toContain('run_started');
    expect(events.map((e) => e.type)).not.toContain('run_resumed');
    expect(await producer.getRun(runId)).toMatchObject({ status: 'completed', leaseEpoch: 1 });
  });

  it('a worker serves only its queues; runs leave in priority order (lower first), FIFO within a priority', async () => {
    const store = new InMemoryRunStore();
    const order: number[] = [];
    const wf = Workflow.define({ name: 'ordered', steps: [Step.lambda('record', (ctx) => void order.push(Number(ctx.getParam('i'))))] });
    const producer = await create({ store, workflows: [wf] });
    await producer.enqueue('ordered', { params: { i: 1 }, queue: 'other' });
    for (const [i, priority] of [
      [2, 5],
      [3, 0],
      [4, 5],
      [5, -1],
    ] as const) {
      await producer.enqueue('ordered', { params: { i }, priority });
    }
    const worker = await create({ store, workflows: [wf], worker: { concurrency: 1, pollIntervalMs: 10 } });
    await until(async () => order.length === 4);
    expect(order).toEqual([5, 3, 2, 4]);
    expect((await worker.queueStats()).find((q) => q.queue === 'other')).toMatchObject({ queued: 1 });
  });

  it('notBefore holds a run back until it is due', async () => {
    const env = await createTestSpine({ workflows: [linear], start: new Date('2026-04-01T08:00:00Z') });
    try {
      const notBefore = new Date(env.clock.now() + 150_000);
      const { runId } = await env.spine.enqueue('linear', { notBefore });
      await env.advance('149s');
      expect((await env.spine.getRun(runId))!.status).toBe('queued');
      await env.advance('1s');
      expect((await env.spine.getRun(runId))!.status).toBe('completed');
      expect((await env.spine.getRun(runId))!.startedAt.getTime()).toBe(notBefore.getTime());
    } finally {
      await env.close();
    }
  });

  it('waitForResult times out naming the run, which keeps going', async () => {
    const store = new InMemoryRunStore();
    const spine = await create({ store, workflows: [linear] });
    const { runId } = await spine.enqueue('linear');
    await expect(spine.waitForResult(runId, { timeoutMs: 30 })).rejects.toThrow(new RegExp(`Run "${runId}" of workflow "linear" is still queued after 30 ms`));
  });

  it('refuses bad enqueue options naming the field, and records nothing', async () => {
    const store = new InMemoryRunStore();
    const spine = await create({ store, workflows: [linear] });
    await expect(spine.enqueue('linear', { priority: 1.5 })).rejects.toThrow(/priority must be a whole number/);
    await expect(spine.enqueue('linear', { queue: '' })).rejects.toThrow(/queue must be a non-empty string/);
    await expect(spine.enqueue('linear', { notBefore: new Date('nope') })).rejects.toThrow(/notBefore must be a valid Date/);
    await expect(spine.enqueue('nope')).rejects.toThrow(/Workflow "nope" is not registered/);
    expect(await store.listRuns()).toEqual([]);
  });

  it('refuses bad queue limits and worker options at start-up, naming the queue', async () => {
    await expect(Spine.create({ workflows: [linear], queues: { finra: { concurrency: 0 } }, recoverOnStart: false })).rejects.toThrow(/queue "finra": concurrency must be a whole number ≥ 1/);
    await expect(Spine.create({ workflows: [linear], worker: { concurrency: -1 }, recoverOnStart: false })).rejects.toThrow(/worker.concurrency must be a whole number ≥ 1/);
  });

  it('an idempotency key enqueues once', async () => {
    const store = new InMemoryRunStore();
    const spine = await create({ store, workflows: [linear] });
    const a = await spine.enqueue('linear', { idempotencyKey: 'week-1' });
    const b = await spine.enqueue('linear', { idempotencyKey: 'week-1' });
    expect(b.runId).toBe(a.runId);
    expect(await store.listRuns()).toHaveLength(1);
  });

  it('queue concurrency and per-key limits hold while a worker has room for more', async () => {
    const store = new InMemoryRunStore();
    let running = 0;
    let peak = 0;
    const perKey = new Map<string, number>();
    let keyPeak = 0;
    const wf = Workflow.define({
      name: 'heavy',
      steps: [
        Step.lambda('work', async (ctx) => {
          const key = String(ctx.getParam('key'));
          running++;
          perKey.set(key, (perKey.get(key) ?? 0) + 1);
          peak = Math.max(peak, running);
          keyPeak = Math.max(keyPeak, perKey.get(key)!);
          await sleep(15);
          running--;
          perKey.set(key, perKey.get(key)! - 1);
        }),
      ],
    });
    const spine = await create({ store, workflows: [wf], queues: { heavy: { concurrency: 3 } }, worker: { queues: ['heavy'], concurrency: 10, pollIntervalMs: 5 } });
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push((await spine.enqueue('heavy', { queue: 'heavy', params: { key: `k${i % 4}` }, concurrencyKey: `k${i % 4}` })).runId);
    for (const id of ids) expect((await spine.waitForResult(id, { timeoutMs: 5_000 })).status).toBe('completed');
    expect(peak).toBe(3);
    expect(keyPeak).toBe(1);
  });

  it('a rate limit spreads starts over its window', async () => {
    const store = new InMemoryRunStore();
    const wf = Workflow.define({ name: 'limited', steps: [Step.lambda('go', () => undefined)] });
    const spine = await create({ store, workflows: [wf], queues: { default: { rateLimit: { max: 2, perMs: 200 } } }, worker: { pollIntervalMs: 10 } });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await spine.enqueue('limited')).runId);
    for (const id of ids) expect((await spine.waitForResult(id, { timeoutMs: 5_000 })).status).toBe('completed');
    // The limit governs first starts off the queue: the start time each claim records (the
    // step's own clock reading lags its claim by a scheduling-dependent amount).
    const starts = (await Promise.all(ids.map(async (id) => (await store.getRun(id))!.startedAt.getTime()))).sort((a, b) => a - b);
    expect(starts).toHaveLength(5);
    for (let i = 2; i < starts.length; i++) expect(starts[i]! - starts[i - 2]!).toBeGreaterThanOrEqual(200);
  });

  it("a long wait parks a worker's run (lease and slot released) and any worker wakes it when due", async () => {
    const store = new InMemoryRunStore();
    const wf = Workflow.define({
      name: 'waits',
      steps: [Step.lambda('before', () => ({ at: Date.now() })), Step.wait('pause', { seconds: 0.25 }), Step.lambda('after', () => ({ at: Date.now() }))],
    });
    const first = await create({ store, workflows: [wf], lease: { durationMs: 2_000 }, worker: { pollIntervalMs: 10, parkAfterMs: 50 } });
    const { runId } = await first.enqueue('waits');
    const parked = await until(async () => {
      const run = await store.getRun(runId);
      return run?.status === 'waiting' ? run : null;
    });
    expect(parked).toMatchObject({ leaseOwner: null, status: 'waiting' });
    // Parked until its wake-up time: 250 ms after the wait began, itself after the claim.
    expect(parked.leaseExpiresAt!.getTime()).toBeGreaterThanOrEqual(parked.startedAt.getTime() + 250);
    expect(first.activeRuns).toBe(0);
    await first.close();
    forget(first);
    const second = await create({ store, workflows: [wf], worker: { pollIntervalMs: 10 } });
    const result = await second.waitForResult(runId, { timeoutMs: 5_000 });
    expect(result).toMatchObject({ status: 'completed', completedSteps: ['before', 'pause', 'after'] });
    const steps = await store.getRunSteps(runId);
    expect(steps.filter((s) => s.stepName === 'before')).toHaveLength(1);
    expect(result.context.getOutput('after', 'at') as number).toBeGreaterThanOrEqual(parked.leaseExpiresAt!.getTime());
  });

  it('spine.resume of a queued run is refused naming the queue; cancel of a queued run cancels it at once', async () => {
    const store = new InMemoryRunStore();
    const spine = await create({ store, workflows: [linear] });
    const { runId } = await spine.enqueue('linear');
    await expect(spine.resume(runId)).rejects.toThrow(/is queued on queue "work"; a worker serving that queue runs it/);
    expect(await spine.cancel(runId)).toMatchObject({ status: 'cancelled' });
  });

  it('a distributed map enqueues its items on a queue; workers run them; the parent parks and continues with their outputs in item order', async () => {
    const store = new InMemoryRunStore();
    const item = Workflow.define({ name: 'item', queue: 'items', steps: [Step.lambda('square', (ctx) => ({ sq: Number(ctx.getParam('item')) ** 2 }))] });
    const parent = Workflow.define({
      name: 'fan-out',
      steps: [
        Step.map('each', { items: [1, 2, 3, 4, 5], iterator: 'item', distribute: true }),
        Step.lambda('sum', (ctx) => ({ sum: (ctx.getOutput('each', 'results') as { sq: number }[]).reduce((a, r) => a + r.sq, 0) })),
      ],
    });
    const events: RunEvent[] = [];
    const spine = await create({ store, workflows: [parent, item], worker: { queues: ['default', 'items'], pollIntervalMs: 10 }, onEvent: (e) => void events.push(e) });
    const { runId } = await spine.enqueue('fan-out');
    const result = await spine.waitForResult(runId, { timeoutMs: 5_000 });
    expect(result.status).toBe('completed');
    expect(result.context.getOutput('sum', 'sum')).toBe(55);
    const children = await store.listRuns({ parentRunId: runId });
    expect(children).toHaveLength(5);
    expect(children.every((c) => c.queue === 'items' && c.status === 'completed')).toBe(true);
    expect(events.some((e) => e.type === 'run_parked' && e.runId === runId)).toBe(true);
  });

  it('a distributed map fails past its tolerance and asks the unfinished items to cancel; resuming the run re-queues the failed items', async () => {
    const store = new InMemoryRunStore();
    let failOnce = true;
    const item = Workflow.define({
      name: 'flaky-item',
      queue: 'items',
      steps: [
        Step.lambda('work', (ctx) => {
          if (ctx.getParam('item') === 3 && failOnce) throw new Error('item 3 broke');
          return { v: ctx.getParam('item') };
        }),
      ],
    });
    const parent = Workflow.define({ name: 'fan-out-2', steps: [Step.map('each', { items: [1, 2, 3], iterator: 'flaky-item', distribute: true })] });
    const spine = await create({ store, workflows: [parent, item], worker: { queues: ['default', 'items'], pollIntervalMs: 10 } });
    const { runId } = await spine.enqueue('fan-out-2');
    const failed = await spine.waitForResult(runId, { timeoutMs: 5_000 });
    expect(failed).toMatchObject({ status: 'failed', errorStep: 'each' });
    expect(failed.error).toMatch(/1 of 3 items failed \(tolerated: 0\).*item 2 \(3\).*item 3 broke/);
    failOnce = false;
    await expect(spine.resume(runId)).resolves.toMatchObject({ status: 'completed' });
  });

  it('a distributed map run in place (no worker serves its items) runs its own items, at most maxConcurrency at once, within the queue limits', async () => {
    const store = new InMemoryRunStore();
    let running = 0;
    let peak = 0;
    const item = Workflow.define({
      name: 'slow-item',
      queue: 'nobody-serves-this',
      steps: [
        Step.lambda('work', async (ctx) => {
          running++;
          peak = Math.max(peak, running);
          await sleep(10);
          running--;
          return { v: ctx.getParam<number>('item') };
        }),
      ],
    });
    const parent = Workflow.define({ name: 'in-place', steps: [Step.map('each', { items: Array.from({ length: 12 }, (_, i) => i), iterator: 'slow-item', distribute: true, maxConcurrency: 3 })] });
    const spine = await create({ store, workflows: [parent, item] });
    const result = await spine.run('in-place');
    expect(result.status).toBe('completed');
    expect((result.context.getOutput('each', 'results') as { v: number }[]).map((r) => r.v)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(peak).toBe(3);
    expect((await store.listRuns({ parentRunId: result.runId })).every((r) => r.queue === 'nobody-serves-this' && r.status === 'completed')).toBe(true);
  });

  it('a worker that stops finishes its running step and hands the run off: another worker continues it at once, not a lease later', async () => {
    const store = new InMemoryRunStore();
    const ran: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const inStep = new Promise<void>((r) => (arrived = r));
    const wf = Workflow.define({
      name: 'handed',
      steps: [
        Step.lambda('first', async () => {
          ran.push('first');
          arrived();
          await held;
        }),
        Step.lambda('second', () => void ran.push('second')),
      ],
    });
    const lease = { durationMs: 60_000, heartbeatMs: 20_000 };
    const a = await create({ store, workflows: [wf], lease, worker: { pollIntervalMs: 10 } });
    const { runId } = await a.enqueue('handed');
    await inStep;
    const closing = a.close({ timeoutMs: 5_000 });
    release();
    await closing;
    expect(await store.getRun(runId)).toMatchObject({ status: 'running', leaseOwner: null });
    const b = await create({ store, workflows: [wf], lease, worker: { pollIntervalMs: 10 } });
    const started = Date.now();
    expect((await b.waitForResult(runId, { timeoutMs: 5_000 })).status).toBe('completed');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(ran).toEqual(['first', 'second']);
  });

  it("a queue run's renewal answered after its lease expired counts as lost: it may have been applied after a claim gave the slot away", async () => {
    const store = new InMemoryRunStore();
    const renewLease = store.renewLease.bind(store);
    let slow = false;
    // the renewal is decided in time (as a SQL store's is: its "now" is taken when it is sent) but answered late (a frozen database)
    store.renewLease = async (...args) => {
      const outcome = await renewLease(...args);
      if (slow) await sleep(250);
      return outcome;
    };
    const steps: string[] = [];
    const wf = Workflow.define({
      name: 'strict',
      steps: [
        Step.lambda('one', async () => {
          steps.push('one');
          slow = true;
          await sleep(400);
        }),
        Step.lambda('two', () => void steps.push('two')),
      ],
    });
    const runner = new WorkflowRunner({ store, workflows: { get: () => wf, names: () => ['strict'] }, lease: { owner: 'W1', durationMs: 200, heartbeatMs: 60 } });
    await runner.enqueue(wf);
    const now = Date.now();
    const [claimed] = await store.claimQueued({
      owner: 'W1',
      queues: [{ name: 'default', limits: {} }],
      max: 1,
      now: new Date(now),
      leaseExpiresAt: new Date(now + 200),
      held: { hashes: [], anyOf: ['strict'] },
    });
    const error = await runner.runClaimed(claimed!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect((error as Error).message).toMatch(/its lease expired before this execution \(epoch 1, owner W1\) renewed it/);
    expect(steps).toEqual(['one']);
  });

  it('cancelling a parked distributed map cancels it and its items: the queued ones at once', async () => {
    const store = new InMemoryRunStore();
    const item = Workflow.define({ name: 'never-served', queue: 'nobody', steps: [Step.lambda('work', () => ({}))] });
    const parent = Workflow.define({ name: 'waits-for-items', steps: [Step.map('each', { items: [1, 2, 3], iterator: 'never-served', distribute: true })] });
    const spine = await create({ store, workflows: [parent, item], worker: { pollIntervalMs: 10 } });
    const { runId } = await spine.enqueue('waits-for-items');
    await until(async () => (await store.getRun(runId))?.status === 'waiting');
    expect((await store.listRuns({ parentRunId: runId })).map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
    expect(await spine.cancel(runId)).toMatchObject({ status: 'cancelled' });
    expect((await store.listRuns({ parentRunId: runId })).map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect((await spine.queueStats()).find((q) => q.queue === 'nobody')).toBeUndefined();
  });

  it('listWorkers shows a running worker with its queues', async () => {
    const store = new InMemoryRunStore();
    const spine = await create({ store, workflows: [linear], worker: { queues: ['work', 'default'], concurrency: 3 } });
    const workers = await until(async () => (await spine.listWorkers()).length > 0 && spine.listWorkers());
    expect(workers[0]).toMatchObject({ queues: ['work', 'default'], concurrency: 3, pid: process.pid });
    expect(() => spine.startWorker()).toThrow(SpineError);
  });
});
