import { InMemoryRunStore, Spine, Step, Workflow, WorkflowRunner } from 'spine-orchestration';
import { TypeOrmRunStore } from '../../src/persistence';
import { testDrivers, useTestDatabase, type TestDatabase } from '../support/databases';

/**
 * A resume or a requeue that overrides params: the run keeps the params it started with, each
 * override is recorded (who, when, which fields, the values before and after), and a checkpoint's
 * rebuilt context shows the params its step ran with — on every store.
 */
describe.each(['memory', ...testDrivers()] as const)('params overrides (%s)', (driver) => {
  const database: (() => TestDatabase) | null = driver === 'memory' ? null : useTestDatabase(driver);
  let n = 0;
  const steps = [
    Step.lambda('step1', (ctx) => ({ timeout: ctx.getParam<number>('timeout') })),
    Step.lambda('step2', (ctx) => ({ timeout: ctx.getParam<number>('timeout') })),
    Step.lambda('step3', (ctx) => {
      if (ctx.getParam<boolean>('fail')) throw new Error('source down');
      return { timeout: ctx.getParam<number>('timeout') };
    }),
  ];

  it('keeps the original params, records who overrode which fields, and rebuilds each checkpoint with the params its step ran with', async () => {
    const wf = Workflow.define({ name: `overrides.resume.${driver}.${++n}`, steps });
    const store = database === null ? new InMemoryRunStore() : new TypeOrmRunStore(database().dataSource);
    const runner = new WorkflowRunner({ store, workflows: { get: () => wf, names: () => [wf.name] } });
    const failed = await runner.execute(wf, { params: { timeout: 30, fail: true, tier: 'OTC' } });
    expect(failed).toMatchObject({ status: 'failed', errorStep: 'step3' });
    const resumed = await runner.resume(failed.runId, { paramsOverride: { timeout: 120, fail: false, note: 'rerun' }, by: 'ops@desk' });
    expect(resumed.status).toBe('completed');
    expect(resumed.context.getOutput('step3')).toEqual({ timeout: 120 });

    const run = (await store.getRun(failed.runId))!;
    expect(run.params).toEqual({ timeout: 120, fail: false, tier: 'OTC', note: 'rerun' });
    expect(run.originalParams).toEqual({ timeout: 30, fail: true, tier: 'OTC' });
    // the record of the override: who, when, which fields, the values before (a new field has none) and after
    const overrides = (await store.listRunEvents(failed.runId, 100)).filter((e) => e.type === 'params_overridden');
    expect(overrides.map((e) => e.payload)).toEqual([
      { by: 'ops@desk', via: 'resume', fields: ['timeout', 'fail', 'note'], values: { timeout: 120, fail: false, note: 'rerun' }, previous: { timeout: 30, fail: true } },
    ]);
    expect(overrides[0]!.at).toBeInstanceOf(Date);
    // truthful checkpoints: step2 ran with timeout 30, step3 (after the resume) with 120
    expect((await runner.getCheckpoint(failed.runId, 'step2'))?.context.params).toEqual({ timeout: 30, fail: true, tier: 'OTC' });
    expect((await runner.getCheckpoint(failed.runId, 'step3'))?.context.params).toEqual({ timeout: 120, fail: false, tier: 'OTC', note: 'rerun' });
  });

  it('a second override keeps the first original params; a requeue records its override as one; `by` is checked', async () => {
    const wf = Workflow.define({ name: `overrides.requeue.${driver}.${++n}`, queue: `overrides-${driver}`, steps });
    const spine = await Spine.create({
      database: database === null ? 'memory' : database().dataSource,
      workflows: [wf],
      recoverOnStart: false,
      worker: { queues: [`overrides-${driver}`], pollIntervalMs: 20 },
    });
    try {
      const { runId } = await spine.enqueue(wf.name, { params: { timeout: 5, fail: true } });
      expect((await spine.waitForResult(runId, { timeoutMs: 20_000 })).status).toBe('failed');
      await expect(spine.resume(runId, { paramsOverride: { timeout: 6 }, by: '' })).rejects.toThrow('by must be a non-empty string of at most 255 characters (got "").');
      expect((await spine.resume(runId, { paramsOverride: { timeout: 6 } })).status).toBe('failed');
      const queued = await spine.requeue(runId, { paramsOverride: { timeout: 7, fail: false }, by: 'console' });
      expect(queued).toMatchObject({ params: { timeout: 7, fail: false }, originalParams: { timeout: 5, fail: true } });
      expect((await spine.waitForResult(runId, { timeoutMs: 20_000 })).status).toBe('completed');
      const overrides = (await spine.listRunEvents(runId)).filter((e) => e.type === 'params_overridden').map((e) => e.payload);
      expect(overrides).toEqual([
        { by: 'api', via: 'resume', fields: ['timeout'], values: { timeout: 6 }, previous: { timeout: 5 } },
        { by: 'console', via: 'requeue', fields: ['timeout', 'fail'], values: { timeout: 7, fail: false }, previous: { timeout: 6, fail: true } },
      ]);
      expect((await spine.getRun(runId))?.originalParams).toEqual({ timeout: 5, fail: true });
    } finally {
      await spine.close();
    }
  });
});
