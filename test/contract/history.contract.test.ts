import { newRun } from '../fixtures/records';
import { describeEachStore, freshStorePerTest, uniqueId } from './support/contract-stores';
import { outcome, progress, stepRecord } from './support/records';

const DAY = 86_400_000;

/** RunHistory: what runs did, read after the fact — the same rows, order and pages on every store. */
describeEachStore('contract: RunHistory', (backend) => {
  const t = freshStorePerTest(backend);
  const at = t.at;

  /** A finished top-level run of `workflow` started at `startedAt`. */
  async function finishedRun(workflow: string, runId: string, startedAt: Date, status: 'completed' | 'failed' | 'cancelled' = 'completed'): Promise<void> {
    await t.store.createRun(newRun({ runId, workflowName: workflow, startedAt, leaseOwner: 'A', leaseExpiresAt: new Date(startedAt.getTime() + 60_000) }));
    await t.store.finishRun(runId, outcome({ runId, epoch: 1, owner: 'A' }, status, new Date(startedAt.getTime() + 1_000)));
  }

  it('lists top-level runs newest first (run id breaking ties), filtered, in keyset pages that lose nothing', async () => {
    const wf = uniqueId('wf.list');
    const same = at(-DAY);
    await finishedRun(wf, `${wf}-a`, same);
    await finishedRun(wf, `${wf}-c`, same);
    await finishedRun(wf, `${wf}-b`, same, 'failed');
    await finishedRun(wf, `${wf}-d`, at(-2 * DAY));
    await t.store.createRun(newRun({ runId: `${wf}-item`, workflowName: wf, startedAt: at(), parentRunId: `${wf}-a`, rootRunId: `${wf}-a` }));
    const all = (await t.store.listRuns({ workflow: wf })).map((r) => r.runId);
    expect(all).toEqual([`${wf}-c`, `${wf}-b`, `${wf}-a`, `${wf}-d`]);
    const pages: string[] = [];
    let before: { startedAt: Date; runId: string } | undefined;
    for (;;) {
      const page = await t.store.listRuns({ workflow: wf, limit: 2, ...(before !== undefined && { before }) });
      if (page.length === 0) break;
      pages.push(...page.map((r) => r.runId));
      before = { startedAt: page[page.length - 1]!.startedAt, runId: page[page.length - 1]!.runId };
    }
    expect(pages).toEqual(all);
    expect((await t.store.listRuns({ workflow: wf, status: 'failed' })).map((r) => r.runId)).toEqual([`${wf}-b`]);
    expect((await t.store.listRuns({ workflow: wf, status: ['failed', 'completed'], since: at(-DAY - 1) })).map((r) => r.runId)).toEqual([`${wf}-c`, `${wf}-b`, `${wf}-a`]);
    expect((await t.store.listRuns({ workflow: wf, until: at(-DAY) })).map((r) => r.runId)).toEqual([`${wf}-d`]);
    expect((await t.store.listRuns({ parentRunId: `${wf}-a` })).map((r) => r.runId)).toEqual([`${wf}-item`]);
    expect((await t.store.listRuns({ workflow: wf, includeChildren: true })).map((r) => r.runId)).toContain(`${wf}-item`);
  });

  it('counts top-level runs by workflow and status since a time', async () => {
    const wf = uniqueId('wf.count');
    await finishedRun(wf, `${wf}-1`, at(-3 * DAY));
    await finishedRun(wf, `${wf}-2`, at(-DAY));
    await finishedRun(wf, `${wf}-3`, at(-DAY / 2), 'failed');
    const counts = (await t.store.countRuns(at(-2 * DAY))).filter((c) => c.workflow === wf).map((c) => [c.status, Number(c.count)]);
    expect(counts.sort()).toEqual([
      ['completed', 1],
      ['failed', 1],
    ]);
  });

  it('keeps quality metrics per step execution: the trend oldest first, and the steps that recorded them', async () => {
    const wf = uniqueId('wf.quality');
    for (const [i, valid] of [95, 60].entries()) {
      const runId = `${wf}-${i}`;
      await t.store.createRun(newRun({ runId, workflowName: wf, startedAt: at(i * 1_000), leaseOwner: 'A', leaseExpiresAt: at(60_000) }));
      await t.store.recordStep(
        stepRecord(runId, 'validate', at(i * 1_000), { quality: { recordCount: 100, validCount: valid, invalidCount: 100 - valid } }),
        progress({ runId, epoch: 1, owner: 'A' }, 1),
      );
    }
    const trend = await t.store.qualityTrend(wf, 'validate', at(-1));
    expect(trend.map((p) => [p.recordCount, p.validCount, p.validRate])).toEqual([
      [100, 95, 0.95],
      [100, 60, 0.6],
    ]);
    const steps = (await t.store.listQualitySteps(at(-1))).filter((s) => s.workflow === wf);
    expect(steps).toMatchObject([{ workflow: wf, step: 'validate', executions: 2 }]);
  });

  it('lists a run’s checkpoints (its completed steps) and returns a kept context snapshot until it is deleted', async () => {
    const runId = uniqueId('checkpoints');
    const fence = { runId, epoch: 1, owner: 'A' };
    await t.store.createRun(newRun({ runId, startedAt: at(), leaseOwner: 'A', leaseExpiresAt: at(60_000) }));
    await t.store.recordStep(stepRecord(runId, 'a', at(1)), progress(fence, 1, { snapshot: { outputs: { a: { n: 1 } } } }));
    await t.store.recordStep(stepRecord(runId, 'b', at(2), { status: 'failed', output: null, error: 'no', attempt: 1 }), progress(fence, 1));
    await t.store.recordStep(stepRecord(runId, 'c', at(3)), progress(fence, 2));
    expect((await t.store.listCheckpoints(runId)).map((c) => [c.stepName, c.executedSteps, c.hasContext])).toEqual([
      ['a', 1, true],
      ['c', 3, false],
    ]);
    expect((await t.store.getCheckpoint(runId, 'a'))?.context).toEqual({ outputs: { a: { n: 1 } } });
    expect(await t.store.getCheckpoint(runId, 'b')).toBeNull();
    expect(await t.store.deleteCheckpoints(runId)).toBe(1);
    expect(await t.store.getCheckpoint(runId, 'a')).toBeNull();
    expect((await t.store.getRunSteps(runId)).map((s) => s.stepName)).toEqual(['a', 'b', 'c']);
  });

  it('purges finished runs older than the cut with their items, keeping failed runs when asked and anything running', async () => {
    const wf = uniqueId('wf.purge');
    await finishedRun(wf, `${wf}-old`, at(-10 * DAY));
    await t.store.createRun(newRun({ runId: `${wf}-old:item`, workflowName: wf, startedAt: at(-10 * DAY), parentRunId: `${wf}-old`, rootRunId: `${wf}-old` }));
    await finishedRun(wf, `${wf}-old-failed`, at(-10 * DAY), 'failed');
    await t.store.createRun(newRun({ runId: `${wf}-running`, workflowName: wf, startedAt: at(-10 * DAY) }));
    await finishedRun(wf, `${wf}-new`, at(-DAY));
    await t.store.purge({ before: at(-5 * DAY), keepFailed: true });
    expect((await t.store.listRuns({ workflow: wf, includeChildren: true })).map((r) => r.runId).sort()).toEqual([`${wf}-new`, `${wf}-old-failed`, `${wf}-running`]);
    await t.store.purge({ before: at(-5 * DAY) });
    expect((await t.store.listRuns({ workflow: wf })).map((r) => r.runId).sort()).toEqual([`${wf}-new`, `${wf}-running`]);
  });
});
