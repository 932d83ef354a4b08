import fc from 'fast-check';
import { Step, Workflow, workflowHash, workflowSpec } from 'spine-orchestration';
import { newRun } from '../fixtures/records';
import { describeEachStore, freshStorePerTest, uniqueId } from './support/contract-stores';
import { mapItem, progress, stepRecord } from './support/records';

const V1 = '1'.repeat(64);
const V2 = '2'.repeat(64);

/** Versions on the store: claims and recovery take only held definitions; runs move between definitions, fenced; unheld runs are listed with when their definition was last held. */
describeEachStore('contract: definition versions', (backend) => {
  const t = freshStorePerTest(backend);
  const at = t.at;
  const queued = (runId: string, queue: string, hash: string, workflowName = 'w') =>
    newRun({ runId, workflowName, workflowHash: hash, startedAt: at(), enqueue: { queue, priority: 0, concurrencyKey: null, notBefore: at() } });
  const claim = (queue: string, held: { hashes: string[]; anyOf: string[] }) =>
    t.store.claimQueued({ owner: 'W', queues: [{ name: queue, limits: {} }], max: 10, now: at(), leaseExpiresAt: at(60_000), held });

  it('a claim takes only runs whose definition it holds: by hash, or any run of a workflow it continues; holding nothing takes nothing', async () => {
    const queue = uniqueId('q-versions');
    await t.store.enqueueRuns([queued(`${queue}-v1`, queue, V1), queued(`${queue}-v2`, queue, V2), queued(`${queue}-other`, queue, V1, 'other')], null);
    expect(await claim(queue, { hashes: [], anyOf: [] })).toEqual([]);
    expect((await claim(queue, { hashes: [V2], anyOf: [] })).map((c) => c.run.runId)).toEqual([`${queue}-v2`]);
    expect((await claim(queue, { hashes: [], anyOf: ['other'] })).map((c) => c.run.runId)).toEqual([`${queue}-other`]);
    expect((await claim(queue, { hashes: [V1], anyOf: [] })).map((c) => c.run.runId)).toEqual([`${queue}-v1`]);
  });

  it('a claim takes exactly the due runs its definitions cover, for random runs and holdings (property-based)', async () => {
    const hashes = ['a', 'b', 'c'].map((h) => h.repeat(64));
    const names = ['w', 'x'];
    const runs = fc.array(fc.record({ hash: fc.constantFrom(...hashes), name: fc.constantFrom(...names) }), { minLength: 1, maxLength: 8 });
    const held = fc.record({ hashes: fc.subarray(hashes), anyOf: fc.subarray(names) });
    await fc.assert(
      fc.asyncProperty(runs, held, async (made, holding) => {
        const queue = uniqueId('q-prop');
        await t.store.enqueueRuns(
          made.map((r, i) => queued(`${queue}-${i}`, queue, r.hash, r.name)),
          null,
        );
        const taken = (await claim(queue, holding)).map((c) => c.run.runId).sort();
        const expected = made.flatMap((r, i) => (holding.hashes.includes(r.hash) || holding.anyOf.includes(r.name) ? [`${queue}-${i}`] : [])).sort();
        expect(taken).toEqual(expected);
      }),
      { numRuns: backend.propertyRuns(100) },
    );
    console.log(`claim filter: ${backend.propertyRuns(100)} random runs/holdings on ${backend.name}`);
  }, 120_000);

  it('recovery lists only expired runs whose definition it holds', async () => {
    const [old, current] = [uniqueId('expired-v1'), uniqueId('expired-v2')];
    await t.store.createRun(newRun({ runId: old, workflowHash: V1, leaseOwner: 'A', leaseExpiresAt: at(1_000) }));
    await t.store.createRun(newRun({ runId: current, workflowHash: V2, leaseOwner: 'A', leaseExpiresAt: at(1_000) }));
    t.clock.advance(5_000);
    const ids = async (held: { hashes: string[]; anyOf: string[] }) => (await t.store.listExpiredRuns(at(), 1_000, held)).map((r) => r.runId).filter((id) => id === old || id === current);
    expect(await ids({ hashes: [V2], anyOf: [] })).toEqual([current]);
    expect(await ids({ hashes: [V1, V2], anyOf: [] })).toEqual([old, current]);
    expect(await ids({ hashes: [], anyOf: [] })).toEqual([]);
  });

  it('moves an unfinished run nobody holds to another definition, renaming its steps and map items, and raises its epoch', async () => {
    const runId = uniqueId('move');
    await t.store.createRun(newRun({ runId, workflowHash: V1, leaseOwner: 'A', leaseExpiresAt: at(1_000) }));
    const fence = { runId, epoch: 1, owner: 'A' };
    await t.store.recordStep(stepRecord(runId, 'extract', at()), progress(fence, 1, { lastCompletedStep: 'extract' }));
    await t.store.recordMapItem(mapItem(runId, 0, at(), { stepName: 'extract' }), fence);
    const move = { fromHash: V1, to: { version: 2, hash: V2, totalSteps: 4 }, renames: { extract: 'pull' }, fence: null };
    expect(await t.store.moveRun(runId, move, at())).toBeNull(); // A's lease is live
    t.clock.advance(2_000);
    expect(await t.store.moveRun(runId, move, at())).toMatchObject({ workflowVersion: 2, workflowHash: V2, totalSteps: 4, leaseEpoch: 2 });
    expect((await t.store.getRunSteps(runId)).map((s) => s.stepName)).toEqual(['pull']);
    expect((await t.store.listMapItems(runId)).map((i) => i.stepName)).toEqual(['pull']);
    // moved already: not on V1 any more
    expect(await t.store.moveRun(runId, move, at())).toBeNull();
  });

  it('moves a run under its claim only while the claim is current, and never a finished run', async () => {
    const runId = uniqueId('move-fenced');
    await t.store.createRun(newRun({ runId, workflowHash: V1, leaseOwner: 'A', leaseExpiresAt: at(60_000) }));
    const to = { version: 2, hash: V2, totalSteps: 1 };
    expect(await t.store.moveRun(runId, { fromHash: V1, to, renames: {}, fence: { runId, epoch: 1, owner: 'B' } }, at())).toBeNull();
    expect(await t.store.moveRun(runId, { fromHash: V1, to, renames: {}, fence: { runId, epoch: 1, owner: 'A' } }, at())).toMatchObject({ workflowHash: V2, leaseEpoch: 1, leaseOwner: 'A' });
    const done = uniqueId('move-done');
    await t.store.createRun(newRun({ runId: done, workflowHash: V1 }));
    await t.store.finishRun(done, {
      status: 'completed',
      fence: null,
      executedSteps: 0,
      completedSteps: 0,
      failedSteps: 0,
      skippedSteps: 0,
      lastCompletedStep: null,
      finishedAt: at(),
      durationMs: 0,
      errorStep: null,
      error: null,
      errorCategory: null,
    });
    expect(await t.store.moveRun(done, { fromHash: V1, to, renames: {}, fence: null }, at())).toBeNull();
  });

  it('lists the runs still needing a process that no held definition covers, with when their definition was last held', async () => {
    const wf = Workflow.define({ name: uniqueId('unheld'), steps: [Step.lambda('a', () => ({}))] });
    const hash = workflowHash(wf);
    await t.store.saveDefinition(workflowSpec(wf), hash);
    const queue = uniqueId('q-unheld');
    const [waiting, live] = [`${queue}-queued`, `${queue}-live`];
    await t.store.enqueueRuns([queued(waiting, queue, hash, wf.name)], null);
    await t.store.createRun(newRun({ runId: live, workflowName: wf.name, workflowHash: hash, leaseOwner: 'A', leaseExpiresAt: at(60_000) }));
    const unheld = async (held: { hashes: string[]; anyOf: string[] }) => (await t.store.listUnheldRuns(held, at(), 10_000)).filter((u) => u.run.workflowName === wf.name);
    // the running run holds a live lease: somebody executes it
    expect((await unheld({ hashes: [], anyOf: [] })).map((u) => [u.run.runId, u.heldAt])).toEqual([[waiting, null]]);
    await t.store.markHeld([hash], at(1_000));
    await t.store.markHeld([hash], at(500)); // never backwards
    expect((await unheld({ hashes: [], anyOf: [] }))[0]?.heldAt?.toISOString()).toBe(at(1_000).toISOString());
    expect(await unheld({ hashes: [hash], anyOf: [] })).toEqual([]);
    expect(await unheld({ hashes: [], anyOf: [wf.name] })).toEqual([]);
    t.clock.advance(120_000); // the live lease expired: the orphan needs a process too
    expect((await unheld({ hashes: [], anyOf: [] })).map((u) => u.run.runId).sort()).toEqual([live, waiting].sort());
  });
});
