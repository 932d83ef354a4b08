import 'reflect-metadata';
import { Spine, Step, Workflow, type RunEvent } from 'spine-orchestration';
import { testDrivers, useTestDatabase, type TestDatabase } from '../support/databases';
import { until } from '../support/polling';

jest.setTimeout(60_000);

const NOISE = 200;
const WAKES = 50;

const parked = Workflow.define({
  name: 'hardening.parked',
  queue: 'hardening-signals',
  steps: [Step.waitForSignal('go'), Step.lambda('done', (ctx) => ({ got: ctx.getOutput('go', 'payload') ?? null }))],
});
const item = Workflow.define({ name: 'hardening.item', steps: [Step.lambda('square', (ctx) => ({ sq: ctx.getParam<number>('n') ** 2 }))] });
const fanOut = Workflow.define({
  name: 'hardening.fan_out',
  steps: [Step.map('fan', { items: [1, 2, 3, 4], itemParam: 'n', iterator: item, distribute: 'hardening-items' })],
});
const other = Workflow.define({ name: 'hardening.other', queue: 'hardening-unserved', steps: [Step.lambda('one', () => ({ ok: true }))] });

describe.each(['memory', ...testDrivers()] as const)('signals, distributed iterators and unserved runs (%s)', (driver) => {
  const database: (() => TestDatabase) | null = driver === 'memory' ? null : useTestDatabase(driver);
  const open = (extra: Partial<Parameters<typeof Spine.create>[0]> = {}): Promise<Spine> =>
    Spine.create({ database: database === null ? 'memory' : database().dataSource, recoverOnStart: false, logger: { warn: () => undefined, error: () => undefined }, ...extra });

  it(`wakes a parked run only for the signal it waits for, once for a burst, and dedupes a retried send by id (${NOISE} unrelated signals, ${WAKES} wakes)`, async () => {
    const events: RunEvent[] = [];
    const spine = await open({ workflows: [parked], worker: { queues: ['hardening-signals'], pollIntervalMs: 10 }, onEvent: (e) => events.push(e) });
    try {
      const { runId } = await spine.enqueue('hardening.parked');
      await until(async () => (await spine.getRun(runId))?.status === 'waiting', 10_000);
      expect((await spine.getRun(runId))!.waitingFor).toBe('go');
      for (let i = 0; i < NOISE; i++) await spine.signal(runId, `noise-${i % 7}`, { i });
      // not woken: still parked with no deadline, so no worker claims it
      const still = (await spine.getRun(runId))!;
      expect([still.status, still.leaseExpiresAt!.getUTCFullYear()]).toEqual(['waiting', 9999]);

      const first = await spine.signal(runId, 'go', { n: 1 }, { id: 'send-1' });
      const retried = await spine.signal(runId, 'go', { n: 'retry' }, { id: 'send-1' });
      expect(retried).toEqual(first);
      for (let i = 0; i < WAKES; i++) await spine.signal(runId, 'go', { n: i + 2 }).catch(() => undefined);
      const result = await spine.waitForResult(runId, { timeoutMs: 20_000 });
      expect(result.status).toBe('completed');
      expect(result.context.getOutput('go')).toEqual({ n: 1 });
      const signals = await spine.listSignals(runId);
      expect(signals.filter((s) => s.dedupeId === 'send-1')).toHaveLength(1);
      expect(signals.filter((s) => s.name === 'go' && s.consumedBy !== null)).toHaveLength(1);
      const resumes = events.filter((e) => e.runId === runId && e.type === 'run_resumed').length;
      process.stdout.write(`signals on ${driver}: ${NOISE} unrelated signals woke nothing; ${WAKES + 1} wakes of "go" led to ${resumes} claim-and-resume\n`);
      expect(resumes).toBe(1);
    } finally {
      await spine.close();
    }
  });

  it('refuses a signal id that is empty or too long, naming it', async () => {
    const spine = await open({ workflows: [parked] });
    try {
      const { runId } = await spine.enqueue('hardening.parked');
      await expect(spine.signal(runId, 'go', null, { id: '' })).rejects.toThrow('a signal id must be a non-empty string of at most 255 characters (got "")');
      await expect(spine.signal(runId, 'go', null, { id: 'x'.repeat(256) })).rejects.toThrow('a signal id must be');
    } finally {
      await spine.close();
    }
  });

  it("registers a distributed map's iterator workflow with its parent, so a worker runs the items", async () => {
    const spine = await open({ workflows: [fanOut], worker: { queues: ['hardening-items', 'default'], pollIntervalMs: 10 } });
    try {
      expect(
        spine
          .workflows()
          .map((w) => w.name)
          .sort(),
      ).toEqual(['hardening.fan_out', 'hardening.item']);
      const result = await spine.run('hardening.fan_out');
      expect(result.status).toBe('completed');
      expect(result.context.getOutput('fan', 'results')).toEqual([{ sq: 1 }, { sq: 4 }, { sq: 9 }, { sq: 16 }]);
    } finally {
      await spine.close();
    }
  });

  it('shows queued runs that no live worker has the workflow for, with their count and age', async () => {
    const spine = await open({ workflows: [other, parked] });
    try {
      for (let i = 0; i < 3; i++) await spine.enqueue('hardening.other');
      const before = (await spine.queueStats()).find((q) => q.queue === 'hardening-unserved')!;
      // nobody serves the queue at all
      expect(before.unserved).toEqual([{ workflow: 'hardening.other', count: 3, oldestQueuedAt: expect.any(Date) }]);
      // a live worker serves the queue but has only another workflow
      const store = spine.store.queue!;
      const worker = (workerId: string, workflows: string[], at: Date) => ({
        workerId,
        hostname: 'h',
        pid: 1,
        queues: ['hardening-unserved'],
        workflows,
        definitions: { hashes: [], anyOf: workflows },
        appVersion: null,
        heartbeatMs: null,
        concurrency: 1,
        running: 0,
        startedAt: at,
        heartbeatAt: at,
      });
      const now = new Date();
      await store.saveWorker(worker('w-elsewhere', ['hardening.parked'], now));
      expect((await spine.queueStats()).find((q) => q.queue === 'hardening-unserved')!.unserved.map((u) => [u.workflow, u.count])).toEqual([['hardening.other', 3]]);
      // one that has it: served
      await store.saveWorker(worker('w-able', ['hardening.other'], now));
      expect((await spine.queueStats()).find((q) => q.queue === 'hardening-unserved')!.unserved).toEqual([]);
      expect((await spine.listWorkers()).find((w) => w.workerId === 'w-able')!.workflows).toEqual(['hardening.other']);
      // its heartbeat older than a minute: not live any more
      await store.saveWorker(worker('w-able', ['hardening.other'], new Date(Date.now() - 120_000)));
      expect((await spine.queueStats()).find((q) => q.queue === 'hardening-unserved')!.unserved.map((u) => u.count)).toEqual([3]);
    } finally {
      await spine.close();
    }
  });
});

describe('a distributed map whose iterator is an inline step', () => {
  it('is refused by Spine.create, naming the workflow and the step', async () => {
    const inline = Workflow.define({
      name: 'hardening.inline_fan',
      steps: [Step.map('fan', { items: [1, 2], itemParam: 'n', iterator: Step.lambda('square', (ctx) => ({ sq: ctx.getParam<number>('n') ** 2 })), distribute: true })],
    });
    await expect(Spine.create({ database: 'memory', workflows: [inline], recoverOnStart: false })).rejects.toThrow(
      /hardening\.inline_fan[\s\S]*step "fan" distributes its items to workers, but its iterator is an inline step \("square"\)/,
    );
  });
});
