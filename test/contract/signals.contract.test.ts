import { SpineError } from 'spine-orchestration';
import { newRun } from '../fixtures/records';
import { describeEachStore, freshStorePerTest, uniqueId } from './support/contract-stores';
import { outcome } from './support/records';

/** SignalStore: signals kept with their run, consumed once per step execution, waking a run parked for them. */
describeEachStore('contract: SignalStore', (backend) => {
  const t = freshStorePerTest(backend);
  const at = t.at;

  async function run(prefix: string): Promise<string> {
    const runId = uniqueId(prefix);
    await t.store.createRun(newRun({ runId, startedAt: at(), leaseOwner: 'A', leaseExpiresAt: at(60_000) }));
    return runId;
  }

  it('keeps signals in order; a sender’s id seen before stores nothing and returns the earlier signal', async () => {
    const runId = await run('signals');
    const first = await t.store.sendSignal(runId, 'approval', { by: 'ana' }, at(), 'send-1');
    const retried = await t.store.sendSignal(runId, 'approval', { by: 'someone else' }, at(5), 'send-1');
    expect(retried).toMatchObject({ signalId: first.signalId, payload: { by: 'ana' } });
    t.clock.advance(10);
    await t.store.sendSignal(runId, 'note', 'plain text', at(), null);
    expect((await t.store.listSignals(runId)).map((s) => [s.name, s.payload, s.dedupeId])).toEqual([
      ['approval', { by: 'ana' }, 'send-1'],
      ['note', 'plain text', null],
    ]);
  });

  it('gives each signal to one step execution: the oldest unconsumed first, the same one again to the execution that took it', async () => {
    const runId = await run('consume');
    const fence = { runId, epoch: 1, owner: 'A' };
    await t.store.sendSignal(runId, 'file', { n: 1 }, at(), null);
    await t.store.sendSignal(runId, 'file', { n: 2 }, at(1), null);
    const taken = await t.store.consumeSignal(runId, 'file', `${runId}:wait:1`, fence, at(2));
    expect(taken).toMatchObject({ payload: { n: 1 }, consumedBy: `${runId}:wait:1` });
    expect((await t.store.consumeSignal(runId, 'file', `${runId}:wait:1`, fence, at(3)))?.signalId).toBe(taken!.signalId);
    expect((await t.store.consumeSignal(runId, 'file', `${runId}:wait:2`, fence, at(4)))?.payload).toEqual({ n: 2 });
    expect(await t.store.consumeSignal(runId, 'file', `${runId}:wait:3`, fence, at(5))).toBeNull();
  });

  it('refuses a signal to an unknown or finished run, naming it', async () => {
    const missing = uniqueId('missing');
    await expect(t.store.sendSignal(missing, 'x', null, at(), null)).rejects.toMatchObject({ kind: 'unknown-run' });
    const runId = await run('finished');
    await t.store.finishRun(runId, outcome({ runId, epoch: 1, owner: 'A' }, 'completed', at()));
    const refused = await t.store.sendSignal(runId, 'x', null, at(), null).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SpineError);
    expect(refused).toMatchObject({ kind: 'run-finished' });
    expect(String((refused as Error).message)).toContain(runId);
  });

  it('makes a run parked for the signal due at once; wakeRun makes a parked run due now', async () => {
    const queue = uniqueId('q.signal');
    const runId = uniqueId('parked');
    await t.store.enqueueRuns([newRun({ runId, startedAt: at(), enqueue: { queue, priority: 0, concurrencyKey: null, notBefore: at() } })], null);
    const claim = () => t.store.claimQueued({ owner: 'W', queues: [{ name: queue, limits: {} }], max: 1, now: at(), leaseExpiresAt: at(3_600_000), held: { hashes: [], anyOf: ['w'] } });
    const [taken] = await claim();
    await t.store.parkRun(runId, { runId, epoch: taken!.run.leaseEpoch, owner: 'W' }, at(86_400_000), 'approval');
    expect(await claim()).toEqual([]);
    await t.store.sendSignal(runId, 'approval', { ok: true }, at(), null);
    const [woken] = await claim();
    expect(woken?.run.runId).toBe(runId);
    await t.store.parkRun(runId, { runId, epoch: woken!.run.leaseEpoch, owner: 'W' }, at(86_400_000), null);
    await t.store.wakeRun(runId, at());
    expect((await claim()).map((c) => c.run.runId)).toEqual([runId]);
  });
});
