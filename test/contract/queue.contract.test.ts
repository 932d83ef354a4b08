import { checkQueueModel } from '../fixtures/queue-model';
import { newRun } from '../fixtures/records';
import { describeEachStore, freshStorePerTest, uniqueId } from './support/contract-stores';
import { outcome } from './support/records';

/** RunQueue: runs for workers — claimed in priority and age order within limits, parked, woken, re-queued; a map's items; statistics and workers. */
describeEachStore('contract: RunQueue', (backend) => {
  const t = freshStorePerTest(backend);
  const at = t.at;
  const queued = (runId: string, queue: string, extra: { priority?: number; notBefore?: Date; workflowName?: string; parentRunId?: string } = {}) =>
    newRun({
      runId,
      workflowName: extra.workflowName ?? 'w',
      startedAt: at(),
      ...(extra.parentRunId !== undefined && { parentRunId: extra.parentRunId, rootRunId: extra.parentRunId }),
      enqueue: { queue, priority: extra.priority ?? 0, concurrencyKey: null, notBefore: extra.notBefore ?? at() },
    });
  const claim = (queue: string, owner = 'W', max = 10) =>
    t.store.claimQueued({ owner, queues: [{ name: queue, limits: {} }], max, now: at(), leaseExpiresAt: at(3_600_000), held: { hashes: [], anyOf: ['w'] } });

  it('behaves as the model for random sequences of enqueues, claims by three workers, finishes and parks, re-queues, within every limit (property-based)', async () => {
    await checkQueueModel(() => backend.make(), backend.propertyRuns(300));
  }, 120_000);

  it('claims due runs by priority, oldest first within one, each with a new epoch; a run due later waits for its time', async () => {
    const queue = uniqueId('q.order');
    await t.store.enqueueRuns([queued(`${queue}-late`, queue, { notBefore: at(60_000) }), queued(`${queue}-low`, queue, { priority: 5 })], null);
    t.clock.advance(1);
    await t.store.enqueueRuns([queued(`${queue}-high`, queue, { priority: 0 })], null);
    t.clock.advance(1);
    await t.store.enqueueRuns([queued(`${queue}-high2`, queue, { priority: 0 })], null);
    const first = await claim(queue, 'W', 2);
    expect(first.map((c) => c.run.runId)).toEqual([`${queue}-high`, `${queue}-high2`]);
    expect(first.every((c) => c.run.leaseEpoch === 1 && c.run.status === 'running' && c.firstStart)).toBe(true);
    expect((await claim(queue)).map((c) => c.run.runId)).toEqual([`${queue}-low`]);
    t.clock.advance(60_000);
    expect((await claim(queue)).map((c) => c.run.runId)).toEqual([`${queue}-late`]);
  });

  it('creates queued runs once (ids that exist are skipped) and only of the workflows a worker has', async () => {
    const queue = uniqueId('q.enqueue');
    expect(await t.store.enqueueRuns([queued(`${queue}-1`, queue), queued(`${queue}-2`, queue, { workflowName: 'other' })], null)).toBe(2);
    expect(await t.store.enqueueRuns([queued(`${queue}-1`, queue)], null)).toBe(0);
    expect((await claim(queue)).map((c) => c.run.runId)).toEqual([`${queue}-1`]);
  });

  it('parks a claimed run until its wake-up time, then any worker claims it again with the next epoch', async () => {
    const queue = uniqueId('q.park');
    await t.store.enqueueRuns([queued(`${queue}-1`, queue)], null);
    const [taken] = await claim(queue, 'A');
    await t.store.parkRun(taken!.run.runId, { runId: taken!.run.runId, epoch: 1, owner: 'A' }, at(3_600_000), 'approval');
    expect(await t.store.getRun(taken!.run.runId)).toMatchObject({ status: 'waiting', leaseOwner: null, waitingFor: 'approval' });
    expect(await claim(queue, 'B')).toEqual([]);
    t.clock.advance(3_600_000);
    const [again] = await claim(queue, 'B');
    expect(again).toMatchObject({ run: { runId: `${queue}-1`, leaseOwner: 'B', leaseEpoch: 2 }, firstStart: false });
  });

  it('lists a parent’s item runs, wakes the parked parent once the last settles, cancels the rest, and re-queues failed ones', async () => {
    const queue = uniqueId('q.items');
    const parent = `${queue}-parent`;
    await t.store.createRun(newRun({ runId: parent, startedAt: at(), leaseOwner: 'P', leaseExpiresAt: at(60_000) }));
    const fence = { runId: parent, epoch: 1, owner: 'P' };
    expect(
      await t.store.enqueueRuns(
        [0, 1, 2].map((i) => ({ ...queued(`${parent}:${i}`, queue, { parentRunId: parent }) })),
        fence,
      ),
    ).toBe(3);
    expect((await t.store.listChildren(parent)).map((c) => [c.runId, c.status])).toEqual([0, 1, 2].map((i) => [`${parent}:${i}`, 'queued']));
    const [one, two] = await claim(queue, 'W', 2);
    await t.store.finishRun(one!.run.runId, outcome({ runId: one!.run.runId, epoch: 1, owner: 'W' }, 'completed', at()));
    await t.store.settleChild(parent, false, at());
    await t.store.finishRun(two!.run.runId, outcome({ runId: two!.run.runId, epoch: 1, owner: 'W' }, 'failed', at(), { errorStep: 'work' }));
    expect(await t.store.cancelChildren(parent)).toBe(1);
    expect((await t.store.listChildren(parent)).map((c) => c.status)).toEqual(['completed', 'failed', 'cancelled']);
    await t.store.requeueRuns([{ runId: two!.run.runId, params: { retry: true } }], fence, at());
    expect(await t.store.getRun(two!.run.runId)).toMatchObject({ status: 'queued', params: { retry: true }, cancelRequested: false });
  });

  it('counts queued, due, running and waiting runs per queue, and keeps the workers’ rows newest heartbeat first', async () => {
    const queue = uniqueId('q.stats');
    await t.store.enqueueRuns([queued(`${queue}-1`, queue), queued(`${queue}-2`, queue, { notBefore: at(60_000) }), queued(`${queue}-3`, queue)], null);
    await claim(queue, 'W', 1);
    const stats = (await t.store.queueStats(at())).find((s) => s.queue === queue);
    expect(stats).toMatchObject({ queued: 2, due: 1, running: 1, waiting: 0 });
    const worker = uniqueId('worker');
    const row = {
      workerId: worker,
      hostname: 'h',
      pid: 1,
      queues: [queue],
      workflows: ['w'],
      definitions: { hashes: [], anyOf: ['w'] },
      appVersion: 'build-7',
      heartbeatMs: 10_000,
      concurrency: 2,
      running: 1,
      startedAt: at(),
      heartbeatAt: at(),
    };
    await t.store.saveWorker(row);
    await t.store.saveWorker({ ...row, workerId: `${worker}-2`, heartbeatAt: at(5_000) });
    const mine = (await t.store.listWorkers()).filter((w) => w.workerId.startsWith(worker));
    expect(mine.map((w) => w.workerId)).toEqual([`${worker}-2`, worker]);
    // what a worker holds and how often it renews its row come back as saved
    expect(mine[1]).toMatchObject({ definitions: row.definitions, appVersion: 'build-7', heartbeatMs: 10_000 });
    await t.store.removeWorker(worker);
    expect((await t.store.listWorkers()).some((w) => w.workerId === worker)).toBe(false);
  });
});
