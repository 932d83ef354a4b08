import { LeaseLostError, SpineError, type RunEvent } from 'spine-orchestration';
import { newRun } from '../fixtures/records';
import { describeEachStore, freshStorePerTest, uniqueId } from './support/contract-stores';
import { mapItem, outcome, progress, stepRecord } from './support/records';

/** RunJournal: one run written and read back while it executes — fenced, in order, nothing half-written. */
describeEachStore('contract: RunJournal', (backend) => {
  const t = freshStorePerTest(backend);
  const at = t.at;

  async function claimed(prefix: string): Promise<{ runId: string; fence: { runId: string; epoch: number; owner: string } }> {
    const runId = uniqueId(prefix);
    await t.store.createRun(newRun({ runId, startedAt: at(), leaseOwner: 'A', leaseExpiresAt: at(60_000) }));
    return { runId, fence: { runId, epoch: 1, owner: 'A' } };
  }

  it('creates a run once per idempotency key (the earlier run comes back) and refuses a run id taken', async () => {
    const key = uniqueId('key');
    const runId = uniqueId('idem');
    expect(await t.store.createRun(newRun({ runId, idempotencyKey: key, startedAt: at() }))).toEqual({ created: true });
    const again = await t.store.createRun(newRun({ runId: uniqueId('idem-2'), idempotencyKey: key, startedAt: at() }));
    expect(again.created).toBe(false);
    expect(again.created === false && again.run.runId).toBe(runId);
    await expect(t.store.createRun(newRun({ runId, startedAt: at() }))).rejects.toBeInstanceOf(SpineError);
    expect((await t.store.getRun(runId))?.status).toBe('running');
    expect(await t.store.getRun(uniqueId('missing'))).toBeNull();
  });

  it('records steps in order under the current fence, reports a cancel request with the commit, and refuses a stale fence writing nothing', async () => {
    const { runId, fence } = await claimed('steps');
    expect(await t.store.recordStep(stepRecord(runId, 'a', at()), progress(fence, 1, { lastCompletedStep: 'a' }))).toBe('recorded');
    await t.store.requestCancel(runId);
    expect(await t.store.recordStep(stepRecord(runId, 'b', at(1)), progress(fence, 2, { lastCompletedStep: 'b' }))).toBe('cancel-requested');
    t.clock.advance(120_000);
    await t.store.claimRun(runId, { owner: 'B', expiresAt: at(60_000) }, at());
    await expect(Promise.resolve().then(() => t.store.recordStep(stepRecord(runId, 'stale', at()), progress(fence, 3)))).rejects.toBeInstanceOf(LeaseLostError);
    expect((await t.store.getRunSteps(runId)).map((s) => s.stepName)).toEqual(['a', 'b']);
    expect(await t.store.getRun(runId)).toMatchObject({ completedSteps: 2, lastCompletedStep: 'b', leaseEpoch: 2 });
  });

  it('keeps progress of the current execution and ignores a stale one', async () => {
    const { runId, fence } = await claimed('progress');
    await t.store.recordProgress(runId, { ...progress(fence, 3, { lastCompletedStep: 'c' }) });
    expect(await t.store.getRun(runId)).toMatchObject({ executedSteps: 3, completedSteps: 3, lastCompletedStep: 'c' });
    await t.store.recordProgress(runId, { ...progress({ ...fence, epoch: 7 }, 9, { lastCompletedStep: 'z' }) });
    expect(await t.store.getRun(runId)).toMatchObject({ completedSteps: 3, lastCompletedStep: 'c' });
  });

  it('keeps events oldest first without the run fields the row already has, at most `limit` back', async () => {
    const { runId, fence } = await claimed('events');
    const base = { runId, traceId: 't', workflow: 'w', timestamp: t.clock.now() };
    const events: RunEvent[] = [
      { ...base, type: 'run_started', epoch: 1 },
      { ...base, type: 'step_event', step: 'a', attempt: 1, event: { rows: 3 } },
      { ...base, type: 'signal_waiting', step: 'b', signal: 'approval' },
    ];
    await t.store.recordEvents(events, fence);
    const stored = await t.store.listRunEvents(runId, 10);
    expect(stored.map((e) => [e.type, e.step, e.attempt])).toEqual([
      ['run_started', null, null],
      ['step_event', 'a', 1],
      ['signal_waiting', 'b', null],
    ]);
    expect(stored[1]!.payload).toEqual({ event: { rows: 3 } });
    expect(stored[0]!.at.getTime()).toBe(t.clock.now());
    expect(await t.store.listRunEvents(runId, 2)).toHaveLength(2);
    await expect(Promise.resolve().then(() => t.store.recordEvents([{ ...base, type: 'run_stopped' }], { ...fence, epoch: 9 }))).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('keeps one row per map item (a re-run replaces it), listed by step, iteration and index', async () => {
    const { runId, fence } = await claimed('items');
    await t.store.recordMapItem(mapItem(runId, 1, at(), { status: 'failed', output: null, error: 'boom', attempts: 2 }), fence);
    await t.store.recordMapItem(mapItem(runId, 0, at()), fence);
    await t.store.recordMapItem(mapItem(runId, 0, at(), { stepName: 'fan', iteration: 2 }), fence);
    await t.store.recordMapItem(mapItem(runId, 1, at(5)), fence);
    const all = await t.store.listMapItems(runId);
    expect(all.map((i) => [i.iteration, i.index, i.status])).toEqual([
      [1, 0, 'completed'],
      [1, 1, 'completed'],
      [2, 0, 'completed'],
    ]);
    expect(all[1]!.output).toEqual({ index: 1 });
    expect((await t.store.listMapItems(runId, 'fan', 2)).map((i) => i.index)).toEqual([0]);
    await expect(Promise.resolve().then(() => t.store.recordMapItem(mapItem(runId, 3, at()), { ...fence, epoch: 5 }))).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('finishes a run with its outcome and releases the lease; a stale finish changes nothing', async () => {
    const { runId, fence } = await claimed('finish');
    await expect(t.store.finishRun(runId, outcome({ ...fence, epoch: 4 }, 'completed', at()))).rejects.toBeInstanceOf(LeaseLostError);
    expect((await t.store.getRun(runId))?.status).toBe('running');
    t.clock.advance(1_000);
    await t.store.finishRun(runId, outcome(fence, 'failed', at(), { errorStep: 'b', error: 'it failed', durationMs: 1_000 }));
    expect(await t.store.getRun(runId)).toMatchObject({ status: 'failed', leaseOwner: null, errorStep: 'b', error: 'it failed', durationMs: 1_000, finishedAt: at() });
  });

  it("keeps the events that go with a run's finish, and none of a stale finish's", async () => {
    const { runId, fence } = await claimed('finish-events');
    const event = (type: 'run_started' | 'run_completed', extra: Record<string, unknown>): RunEvent => ({ type, runId, traceId: 't', workflow: 'wf', timestamp: at().getTime(), ...extra }) as RunEvent;
    await expect(t.store.finishRun(runId, outcome({ ...fence, epoch: 4 }, 'completed', at()), [event('run_completed', { durationMs: 9 })])).rejects.toBeInstanceOf(LeaseLostError);
    expect(await t.store.listRunEvents(runId, 10)).toEqual([]);
    await t.store.finishRun(runId, outcome(fence, 'completed', at()), [event('run_started', { epoch: 1 }), event('run_completed', { durationMs: 5 })]);
    expect((await t.store.listRunEvents(runId, 10)).map((e) => [e.type, e.payload])).toEqual([
      ['run_started', { epoch: 1 }],
      ['run_completed', { durationMs: 5 }],
    ]);
  });

  it('reopens a run it resumes with new params, and notes why an execution stopped', async () => {
    const { runId, fence } = await claimed('reopen');
    await t.store.finishRun(runId, outcome(fence, 'failed', at(), { errorStep: 'b' }));
    t.clock.advance(1_000);
    const claim = await t.store.claimRun(runId, { owner: 'B', expiresAt: at(60_000) }, at());
    const second = { runId, epoch: claim.run!.leaseEpoch, owner: 'B' };
    await t.store.reopenRun(runId, { week: '2026-05-29' }, second, { count: 1, step: 'b' });
    expect(await t.store.getRun(runId)).toMatchObject({ status: 'running', params: { week: '2026-05-29' }, error: null, finishedAt: null, lostExecutions: 1, lostStep: 'b' });
    await t.store.recordInterruption(runId, second, 'c', 'the t.store refused the write');
    expect(await t.store.getRun(runId)).toMatchObject({ errorStep: 'c', error: 'the t.store refused the write' });
  });

  it('accepts JSON-shaped outputs as storable', () => {
    expect(t.store.checkStorable('a', { rows: [1, 2, 3], note: 'ok' }, { seen: true })).toBeNull();
  });
});
