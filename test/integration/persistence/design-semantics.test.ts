import { ErrorCategory, ErrorPolicy, RetryPolicy, Spine, Step, StepError, StepResult, Workflow, WorkflowContext, WorkflowRunner, type RunEvent } from 'spine-orchestration';
import { TABLES, TypeOrmRunStore } from '../../../src/persistence';
import { storedJson, testDrivers, useTestDatabase, type TestDatabase } from '../../support/databases';
import { FakeClock } from 'spine-orchestration/testing';
import { until } from '../../support/polling';

/**
 * The design's run semantics (design 03–06, the change note), recorded on a real database:
 * step events, PARTIAL runs, null rates, skips, resume at a step or from a context, checkpoints,
 * run timeouts and the error categories the documents use.
 */
describe.each(testDrivers())('the design semantics recorded on %s', (driver) => {
  const database = useTestDatabase(driver);
  let db: TestDatabase;
  let store: TypeOrmRunStore;
  beforeAll(() => {
    db = database();
    store = new TypeOrmRunStore(db.dataSource);
  });
  const runner = (onEvent?: (event: RunEvent) => void) => new WorkflowRunner({ store, defaultRetry: { initialDelayMs: 1, jitter: false }, ...(onEvent && { onEvent }) });
  const eventRows = (runId: string) =>
    db.dataSource.query(`SELECT type, step, attempt, payload FROM ${TABLES.events} WHERE run_id = ? AND type = 'step_event' ORDER BY id`, [runId]) as Promise<
      { type: string; step: string; attempt: number; payload: string }[]
    >;

  it("stores the events a step's result carries, tied to run, step and attempt; hands them to onEvent and the result", async () => {
    let attempt = 0;
    const heard: RunEvent[] = [];
    const wf = Workflow.define({
      name: `events.${driver}`,
      steps: [
        Step.lambda(
          'ingest',
          () => {
            attempt++;
            const events = [{ type: 'log', level: 'info' as const, message: `attempt ${attempt}`, rows: 10 * attempt }];
            return attempt === 1 ? StepResult.fail('flaky source', { category: ErrorCategory.NETWORK, events }) : StepResult.ok({ rows: 20 }, { events });
          },
          { onError: ErrorPolicy.RETRY },
        ),
      ],
    });
    const result = await runner((e) => e.type === 'step_event' && heard.push(e)).execute(wf);
    expect(result.status).toBe('completed');
    const stored = await eventRows(result.runId);
    expect(stored.map((r) => [r.step, Number(r.attempt), storedJson<{ event: { message: string } }>(r.payload).event.message])).toEqual([
      ['ingest', 1, 'attempt 1'],
      ['ingest', 2, 'attempt 2'],
    ]);
    expect(heard.map((e) => [e.attempt, e.type === 'step_event' ? e.event : null])).toEqual([
      [1, { type: 'log', level: 'info', message: 'attempt 1', rows: 10 }],
      [2, { type: 'log', level: 'info', message: 'attempt 2', rows: 20 }],
    ]);
    expect(result.events.filter((e) => e.type === 'step_event')).toHaveLength(2);
  });

  it('fails a step whose events exceed the bound, naming it; what was recorded before stays', async () => {
    const wf = Workflow.define({
      name: `events.bound.${driver}`,
      steps: [Step.lambda('first', () => ({ ok: true })), Step.lambda('chatty', () => StepResult.ok({}, { events: Array.from({ length: 101 }, (_, i) => ({ i })) }))],
    });
    const result = await runner().execute(wf);
    expect(result).toMatchObject({ status: 'failed', errorStep: 'chatty', errorCategory: 'VALIDATION' });
    expect(result.error).toContain('returned 101 events; a step result carries at most 100');
    expect((await store.getRunSteps(result.runId)).map((s) => [s.stepName, s.status])).toEqual([
      ['first', 'completed'],
      ['chatty', 'failed'],
    ]);
    expect(await eventRows(result.runId)).toEqual([]);
  });

  it("ends 'partial' when a step failed under CONTINUE or a map with onItemError 'partial' had failed items; the status is stored and filterable", async () => {
    const item = Workflow.define({
      name: `partial.item.${driver}`,
      steps: [Step.lambda('square', (ctx) => (ctx.getParam<number>('item') === 2 ? StepResult.fail('bad item', { category: ErrorCategory.VALIDATION }) : { sq: ctx.getParam<number>('item') ** 2 }))],
    });
    const wf = Workflow.define({
      name: `partial.${driver}`,
      steps: [
        Step.lambda('notify', () => StepResult.fail('mail server down', { category: ErrorCategory.NETWORK }), { onError: ErrorPolicy.CONTINUE, retry: { maxAttempts: 1 } }),
        Step.map('fan', { items: [1, 2, 3], iterator: item, onItemError: 'partial' }),
        Step.lambda('report', (ctx) => ({ results: ctx.getOutput('fan', 'results') })),
      ],
    });
    const events: RunEvent[] = [];
    const result = await runner((e) => events.push(e)).execute(wf);
    expect(result.status).toBe('partial');
    expect(result.context.getOutput('report', 'results')).toEqual([{ sq: 1 }, null, { sq: 9 }]);
    const stored = await store.getRun(result.runId);
    expect(stored).toMatchObject({ status: 'partial', failedSteps: 1, completedSteps: 2 });
    expect(Math.abs(stored!.createdAt!.getTime() - Date.now())).toBeLessThan(60_000);
    expect((await store.listMapItems(result.runId)).map((i) => [i.index, i.status])).toEqual([
      [0, 'completed'],
      [1, 'failed'],
      [2, 'completed'],
    ]);
    expect((await store.listRuns({ status: 'partial', workflow: wf.name })).map((r) => r.runId)).toEqual([result.runId]);
    expect(events.find((e) => e.type === 'run_completed' && e.runId === result.runId)).toMatchObject({ partial: true, failedSteps: ['notify'], failedItems: { fan: 1 } });
    // a queued run that ends partial is a result for waitForResult, from a worker
    const spine = await Spine.create({ database: db.dataSource, workflows: [wf, item], recoverOnStart: false, worker: { concurrency: 1, pollIntervalMs: 20 }, logger: { warn: () => undefined } });
    try {
      const { runId } = await spine.enqueue(wf.name);
      expect((await spine.waitForResult(runId, { timeoutMs: 20_000 })).status).toBe('partial');
    } finally {
      await spine.close();
    }
    // final, like completed: nothing to resume, and recovery and cancel leave it alone
    await expect(runner().resume(result.runId, { workflow: wf })).rejects.toThrow(/went to its end \(partial/);
    await expect(runner().cancel(result.runId)).rejects.toThrow('already partial');
  });

  it("keeps a step's nullRate (checked by maxNullRate) and stores it as quality_null_rate", async () => {
    const wf = Workflow.define({
      name: `nulls.${driver}`,
      steps: [
        Step.lambda('clean', () => StepResult.ok({}, { quality: { recordCount: 200, validCount: 200, nullRate: 0.004 } }), { quality: { maxNullRate: 0.01 } }),
        Step.lambda('dirty', () => StepResult.ok({}, { quality: { recordCount: 100, nullRate: 0.05 } }), { quality: { maxNullRate: 0.01 } }),
      ],
    });
    const result = await runner().execute(wf);
    expect(result).toMatchObject({ status: 'failed', errorStep: 'dirty', errorCategory: 'DATA_QUALITY' });
    expect(result.error).toContain('nullRate 0.05 is above maxNullRate 0.01');
    const rows = (await db.dataSource.query(`SELECT step_name, null_count, quality_null_rate FROM ${TABLES.steps} WHERE run_id = ? ORDER BY id`, [result.runId])) as Record<string, unknown>[];
    expect(rows.map((r) => [r.step_name, Number(r.null_count), Number(r.quality_null_rate)])).toEqual([
      ['clean', 1, 0.004],
      ['dirty', 5, 0.05],
    ]);
    expect((await store.getRunSteps(result.runId))[0]!.quality).toMatchObject({ nullRate: 0.004 });
  });

  it('records StepResult.skip as a skipped step with its reason; steps depending on it are skipped; ctx.workflowName names the workflow', async () => {
    const seen: (string | null)[] = [];
    const wf = Workflow.define({
      name: `skip.${driver}`,
      steps: [
        Step.lambda('fetch', (ctx) => (seen.push(ctx.workflowName), StepResult.skip('no new file this week'))),
        Step.lambda('load', () => ({ loaded: true }), { dependsOn: ['fetch'] }),
        Step.lambda('report', () => ({ done: true })),
      ],
    });
    const result = await runner().execute(wf);
    expect(result.status).toBe('completed');
    expect(seen).toEqual([wf.name]);
    expect(result.skippedSteps).toEqual(['fetch', 'load']);
    const steps = await store.getRunSteps(result.runId);
    expect(steps.map((s) => [s.stepName, s.status, s.error])).toEqual([
      ['fetch', 'skipped', 'no new file this week'],
      ['load', 'skipped', 'its dependency "fetch" did not complete'],
      ['report', 'completed', null],
    ]);
    // the step's own skip keeps the iteration, attempt and key its handler ran under; a skip without a run has attempt 0
    expect(steps.map((s) => [s.stepName, s.iteration, s.attempt, s.idempotencyKey])).toEqual([
      ['fetch', 1, 1, `${result.runId}:fetch:1`],
      ['load', 1, 0, `${result.runId}:load:1`],
      ['report', 1, 1, `${result.runId}:report:1`],
    ]);
    expect(result.steps.find((e) => e.name === 'fetch')).toMatchObject({ status: 'skipped', iteration: 1, attempts: 1, idempotencyKey: `${result.runId}:fetch:1` });
  });

  it('resumes a failed run at a chosen step through execute({ runId, startFrom }), skipping the steps between', async () => {
    const calls: string[] = [];
    let broken = true;
    const wf = Workflow.define({
      name: `startfrom.${driver}`,
      steps: [
        Step.lambda('a', () => (calls.push('a'), { a: 1 })),
        Step.lambda('b', () => (calls.push('b'), broken ? StepResult.fail('upstream down', { category: ErrorCategory.DEPENDENCY }) : { b: 2 }), { retry: { maxAttempts: 1 } }),
        Step.lambda('c', () => (calls.push('c'), { c: 3 })),
        Step.lambda('d', (ctx) => (calls.push('d'), { sawA: ctx.getOutput('a', 'a'), sawB: ctx.getOutput('b', 'b', null) })),
      ],
    });
    const r = runner();
    const failed = await r.execute(wf);
    expect(failed.status).toBe('failed');
    broken = false;
    const resumed = await r.execute(wf, { runId: failed.runId, startFrom: 'd' });
    expect(resumed).toMatchObject({ status: 'completed', runId: failed.runId });
    expect(calls).toEqual(['a', 'b', 'd']);
    expect(resumed.context.getOutput('d')).toEqual({ sawA: 1, sawB: null });
    expect((await store.getRunSteps(failed.runId)).filter((s) => s.status === 'skipped').map((s) => [s.stepName, s.error])).toEqual([
      ['b', 'the run was resumed from "d"'],
      ['c', 'the run was resumed from "d"'],
    ]);
    await expect(r.execute(wf, { runId: failed.runId, startFrom: 'd' })).rejects.toThrow('already completed');
    await expect(r.execute(Workflow.define({ name: 'other', steps: [Step.lambda('x', () => ({}))] }), { runId: failed.runId })).rejects.toThrow(`is a run of workflow "${wf.name}"`);
  });

  it('starts a new run from a checkpoint context with params overridden; its seeded outputs survive a resume', async () => {
    const calls: string[] = [];
    let loadFails = true;
    const wf = Workflow.define({
      name: `fromcontext.${driver}`,
      steps: [
        Step.lambda('fetch', (ctx) => (calls.push('fetch'), { rows: 10, tier: ctx.getParam('tier') })),
        Step.lambda('validate', (ctx) => (calls.push('validate'), { valid: ctx.getOutput<number>('fetch', 'rows') - 1 })),
        Step.lambda(
          'load',
          (ctx) => {
            calls.push('load');
            if (loadFails) return StepResult.fail('warehouse locked', { category: ErrorCategory.DEPENDENCY });
            return { loaded: ctx.getOutput('validate', 'valid'), force: ctx.getParam('force', false), fetched: ctx.getOutput('fetch', 'rows') };
          },
          { retry: { maxAttempts: 1 } },
        ),
      ],
    });
    const r = runner();
    const first = await r.execute(wf, { params: { tier: 'T1' } });
    expect(first.status).toBe('failed');
    // the context right after "validate", rebuilt from the step rows (no snapshot was kept there)
    const checkpoint = await r.getCheckpoint(first.runId, 'validate');
    expect(checkpoint).toMatchObject({ stepName: 'validate', hasContext: false });
    const context = WorkflowContext.fromJSON(checkpoint!.context).withParams({ force: true });
    expect(context.getOutput('validate', 'valid')).toBe(9);
    calls.length = 0;
    const second = await r.execute(wf, { context, startFrom: 'load' });
    expect(second.runId).not.toBe(first.runId);
    expect(second.status).toBe('failed');
    expect(calls).toEqual(['load']);
    expect((await store.getRun(second.runId))?.params).toEqual({ tier: 'T1', force: true });
    loadFails = false;
    const resumed = await r.resume(second.runId, { workflow: wf });
    expect(resumed.status).toBe('completed');
    expect(resumed.context.getOutput('load')).toEqual({ loaded: 9, force: true, fetched: 10 });
    expect(calls).toEqual(['load', 'load']);
    // startFrom defaults to the step after the context's last completed one
    const third = await r.execute(wf, { context });
    expect(third.status).toBe('completed');
    expect(calls).toEqual(['load', 'load', 'load']);
  });

  it('deletes the context snapshots of a run, keeping its step rows', async () => {
    const wf = Workflow.define({ name: `snapshots.${driver}`, checkpointEvery: 1, steps: [Step.lambda('a', () => ({ a: 1 })), Step.lambda('b', () => ({ b: 2 }))] });
    const r = runner();
    const result = await r.execute(wf);
    expect((await store.listCheckpoints(result.runId)).map((c) => c.hasContext)).toEqual([true, true]);
    expect(await r.deleteCheckpoints(result.runId)).toBe(2);
    expect((await store.listCheckpoints(result.runId)).map((c) => c.hasContext)).toEqual([false, false]);
    // the context is still there, rebuilt from the step rows
    expect((await r.getCheckpoint(result.runId, 'b'))?.context).toMatchObject({ stepOutputs: { a: { a: 1 }, b: { b: 2 } } });
  });

  it("fails a run past the workflow's timeoutMs with TIMEOUT, aborting its running step; the run resumes to completion", async () => {
    let slow = true;
    const aborted: string[] = [];
    const wf = Workflow.define({
      name: `timeout.${driver}`,
      timeoutMs: 300,
      steps: [
        Step.lambda('quick', () => ({ q: 1 })),
        Step.lambda(
          'slow',
          (_ctx, _config, runtime) =>
            new Promise((resolve, reject) => {
              if (!slow) return resolve({ s: 2 });
              runtime.signal.addEventListener('abort', () => (aborted.push(String((runtime.signal.reason as Error).message)), reject(runtime.signal.reason)));
            }),
        ),
      ],
    });
    const r = runner();
    const result = await r.execute(wf);
    expect(result).toMatchObject({ status: 'failed', errorStep: 'slow', errorCategory: 'TIMEOUT' });
    expect(result.error).toContain(`workflow "${wf.name}" allows an execution 300 ms`);
    expect(aborted).toHaveLength(1);
    expect((await store.getRun(result.runId))?.status).toBe('failed');
    slow = false;
    expect((await r.resume(result.runId, { workflow: wf })).status).toBe('completed');
  });

  it('holds a run deadline against a step that ignores its signal: the run fails at the deadline naming that step, the next never starts, the late result is refused and said to have come', async () => {
    const clock = new FakeClock({ start: new Date('2026-06-01T00:00:00Z'), autoAdvance: false });
    const started: string[] = [];
    const late = (name: string) =>
      Step.lambda(name, async () => {
        started.push(name);
        await clock.sleep(120); // deaf to its aborted signal: it goes on to 120 ms
        return { [name]: true };
      });
    const wf = Workflow.define({ name: `deadline.${driver}`, timeoutMs: 80, steps: [Step.lambda('s1', () => (started.push('s1'), { s1: true })), late('s2'), late('s3')] });
    const events: RunEvent[] = [];
    const r = new WorkflowRunner({ store, clock, onEvent: (e) => events.push(e) });
    const running = r.execute(wf);
    await until(async () => started.includes('s2') && clock.sleepers > 0, 5_000);
    clock.advance(80); // the deadline, with s2 still running
    const result = await running;
    expect(result).toMatchObject({ status: 'failed', errorStep: 's2', errorCategory: 'TIMEOUT', completedSteps: ['s1'] });
    expect(result.error).toContain(`workflow "${wf.name}" allows an execution 80 ms`);
    expect(started).toEqual(['s1', 's2']);
    expect((await store.getRunSteps(result.runId)).map((s) => `${s.stepName}:${s.status}`)).toEqual(['s1:completed', 's2:failed']);
    clock.advance(40); // s2 returns, past the deadline: nothing of it is taken
    await until(async () => events.some((e) => e.type === 'step_late_result'), 2_000);
    expect(events.find((e) => e.type === 'step_late_result')).toMatchObject({
      step: 's2',
      outcome: 'completed',
      reason: expect.stringMatching(/allows an execution 80 ms.*returned a result afterwards, refused/),
    });
    expect((await store.getRunSteps(result.runId)).map((s) => `${s.stepName}:${s.status}`)).toEqual(['s1:completed', 's2:failed']);
    expect(await store.getRun(result.runId)).toMatchObject({ status: 'failed', errorStep: 's2' });
    expect((await store.listRunEvents(result.runId, 100)).map((e) => e.type)).toContain('step_late_result');
  });

  it('accepts the categories the documents use everywhere: NETWORK (retried by default, also from a thrown ECONNREFUSED) and QUALITY_GATE; refuses unknown ones naming the known', async () => {
    let tries = 0;
    const wf = Workflow.define({
      name: `categories.${driver}`,
      steps: [
        Step.lambda(
          'fetch',
          () => {
            tries++;
            if (tries === 1) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
            return { ok: true };
          },
          { onError: ErrorPolicy.RETRY },
        ),
        Step.lambda('gate', () => StepResult.fail('null rate 2% exceeds 1%', { category: ErrorCategory.QUALITY_GATE }), { retry: { maxAttempts: 3, retryableCategories: ['NETWORK'] } }),
      ],
    });
    const result = await runner().execute(wf);
    expect(result).toMatchObject({ status: 'failed', errorStep: 'gate', errorCategory: 'QUALITY_GATE' });
    expect((await store.getRunSteps(result.runId)).map((s) => [s.stepName, s.status, s.errorCategory])).toEqual([
      ['fetch', 'retried', 'NETWORK'],
      ['fetch', 'completed', null],
      ['gate', 'failed', 'QUALITY_GATE'],
    ]);
    expect(new RetryPolicy({ retryableCategories: ['NETWORK', 'QUALITY_GATE'] }).retryableCategories).toEqual(['NETWORK', 'QUALITY_GATE']);
    const known = 'TRANSIENT, NETWORK, TIMEOUT, DATA_QUALITY, QUALITY_GATE, CONFIGURATION, DEPENDENCY, VALIDATION, INTERNAL';
    expect(() => StepResult.fail('x', { category: 'NETWROK' as ErrorCategory })).toThrow(`StepResult.fail has an unknown error category "NETWROK"; the categories are ${known}`);
    expect(() => new RetryPolicy({ retryableCategories: ['NETWROK' as ErrorCategory] })).toThrow(`unknown error category "NETWROK"; the categories are ${known}`);
    expect(() => new StepError('x', 'NETWROK' as ErrorCategory)).toThrow(`the categories are ${known}`);
  });
});
