import { ErrorPolicy, SpineError, Step, StepResult, Workflow, WorkflowRunner, type WorkflowContext } from 'spine-orchestration';
import { testRunner, valueStep } from '../../../fixtures/workflows';

/** A world whose `broken` flag decides whether the load step fails; counts every step's calls. */
function world() {
  const calls: Record<string, number> = {};
  const keys: string[] = [];
  const state = { broken: true };
  const count = (name: string, ctx: WorkflowContext) => {
    calls[name] = (calls[name] ?? 0) + 1;
    keys.push(`${name}=${ctx.stepIdempotencyKey}`);
  };
  const wf = Workflow.define({
    name: 'etl',
    steps: [
      Step.lambda('fetch', (ctx) => {
        count('fetch', ctx);
        return StepResult.ok({ rows: [1, 2, 3] }, { contextUpdates: { fetchedAt: 'morning' } });
      }),
      Step.lambda(
        'notify_early',
        (ctx) => {
          count('notify_early', ctx);
          return StepResult.fail('mail server down');
        },
        { onError: ErrorPolicy.CONTINUE },
      ),
      Step.lambda('load', (ctx) => {
        count('load', ctx);
        if (state.broken && !ctx.getParam('fixed')) return StepResult.fail('target table locked');
        return { loaded: ctx.getOutput<number[]>('fetch', 'rows', []).length, resumed: ctx.metadata.resumed ?? false, fetchedAt: ctx.getParam('fetchedAt') };
      }),
      Step.lambda('report', (ctx) => {
        count('report', ctx);
        return { done: true };
      }),
    ],
  });
  return { wf, calls, keys, state };
}

describe('WorkflowRunner.resume', () => {
  it('continues a failed run at the failed step: completed steps are not re-run and their outputs are in the context', async () => {
    const { wf, calls, keys, state } = world();
    const { runner } = testRunner();
    const failed = await runner.execute(wf);
    expect(failed).toMatchObject({ status: 'failed', errorStep: 'load' });
    state.broken = false;
    const resumed = await runner.resume(failed.runId, { workflow: wf });
    expect(resumed.status).toBe('partial');
    expect(resumed.runId).toBe(failed.runId);
    expect(calls).toEqual({ fetch: 1, notify_early: 1, load: 2, report: 1 });
    expect(resumed.context.getOutput('load')).toEqual({ loaded: 3, resumed: true, fetchedAt: 'morning' });
    expect(resumed.completedSteps).toEqual(['fetch', 'load', 'report']);
    expect(resumed.failedSteps).toEqual(['notify_early']);
    expect(keys.filter((k) => k.startsWith('load='))).toEqual([`load=${failed.runId}:load:1`, `load=${failed.runId}:load:1`]);
    const run = await runner.store.journal.getRun(failed.runId);
    expect(run).toMatchObject({ status: 'partial', completedSteps: 3, failedSteps: 1, errorStep: null, error: null });
    expect((await runner.store.history.listRuns()).length).toBe(1);
  });

  it('resumes with params overridden and finds the workflow through the runner lookup', async () => {
    const { wf, calls } = world();
    const { runner } = testRunner({ workflows: { get: (n) => (n === 'etl' ? wf : undefined), names: () => ['etl'] } });
    const failed = await runner.execute(wf, { params: { region: 'us' } });
    const resumed = await runner.resume(failed.runId, { paramsOverride: { fixed: true } });
    expect(resumed.status).toBe('partial');
    expect(resumed.context.getParam('region')).toBe('us');
    expect((await runner.store.journal.getRun(failed.runId))?.params).toEqual({ region: 'us', fixed: true });
    expect(calls.fetch).toBe(1);
  });

  it('continues a stopped run at the next step', async () => {
    const stop = new AbortController();
    const ran: string[] = [];
    const wf = Workflow.define({
      name: 'stoppable',
      steps: [
        Step.lambda('a', () => {
          ran.push('a');
          stop.abort();
        }),
        Step.lambda('b', () => void ran.push('b')),
      ],
    });
    const { runner } = testRunner();
    const stopped = await runner.execute(wf, { stopSignal: stop.signal });
    expect(stopped.status).toBe('stopped');
    const resumed = await runner.resume(stopped.runId, { workflow: wf });
    expect(resumed.status).toBe('completed');
    expect(ran).toEqual(['a', 'b']);
  });

  it('replays routing: a run that took a branch resumes on that branch, and loop iterations keep counting', async () => {
    let polls = 0;
    let failLoad = true;
    const wf = Workflow.define({
      name: 'branchy',
      steps: [
        Step.lambda('poll', () => ({ ready: ++polls >= 2 })),
        Step.choice('ready?', { when: (ctx) => ctx.getOutput('poll', 'ready', false), then: 'fast', otherwise: 'poll' }),
        valueStep('slow'),
        Step.lambda('fast', () => (failLoad ? StepResult.fail('busy') : { ok: true })),
        valueStep('end'),
      ],
    });
    const { runner } = testRunner();
    const failed = await runner.execute(wf);
    expect(failed.errorStep).toBe('fast');
    failLoad = false;
    const resumed = await runner.resume(failed.runId, { workflow: wf });
    expect(resumed.status).toBe('completed');
    expect(polls).toBe(2);
    expect(resumed.completedSteps).toEqual(['poll', 'ready?', 'poll', 'ready?', 'fast', 'end']);
    expect(resumed.skippedSteps).toEqual(['slow']);
    expect(resumed.steps.filter((s) => s.name === 'fast').map((s) => s.idempotencyKey)).toEqual([`${failed.runId}:fast:1`]);
  });

  describe('refusals', () => {
    it('names an unknown run, a completed run, a cancelled run', async () => {
      const { runner } = testRunner();
      await expect(runner.resume('nope')).rejects.toThrow('Run "nope" is not in the run store');
      const done = await runner.execute(Workflow.define({ name: 'done', steps: [valueStep('a')] }));
      await expect(runner.resume(done.runId)).rejects.toThrow(`Run "${done.runId}" of workflow "done" already completed; there is nothing to resume.`);
      const cancelled = await runner.execute(Workflow.define({ name: 'c', steps: [valueStep('a')] }), { signal: AbortSignal.abort() });
      await expect(runner.resume(cancelled.runId)).rejects.toThrow(/was cancelled; cancelled runs are final/);
    });

    it('refuses a changed definition naming both hashes, unless allowed', async () => {
      const { wf, state } = world();
      const { runner } = testRunner();
      const failed = await runner.execute(wf);
      state.broken = false;
      const changed = Workflow.define({ ...wf, version: 2, steps: [...wf.steps, valueStep('archive')] });
      const refused = runner.resume(failed.runId, { workflow: changed });
      await expect(refused).rejects.toThrow(SpineError);
      await expect(refused).rejects.toThrow(/started on version 1 \(definition [0-9a-f]{12}\); this process holds version 2 \(definition [0-9a-f]{12}\)/);
      const resumed = await runner.resume(failed.runId, { workflow: changed, allowDefinitionChange: true });
      expect(resumed.completedSteps).toEqual(['fetch', 'load', 'report', 'archive']);
    });

    it('cannot find a workflow without a lookup and says how to give one', async () => {
      const { wf } = world();
      const store = testRunner().runner.store;
      const failed = await new WorkflowRunner({ store }).execute(wf);
      await expect(new WorkflowRunner({ store }).resume(failed.runId)).rejects.toThrow(/the runner has no workflow lookup; pass \{ workflows \} to the WorkflowRunner/);
    });
  });
});

describe('idempotent start', () => {
  it('returns the earlier run for a second start with the same key, running nothing again', async () => {
    const { wf, calls, state } = world();
    state.broken = false;
    const { runner } = testRunner();
    const first = await runner.execute(wf, { idempotencyKey: 'week-2026-01-09', params: { n: 1 } });
    const second = await runner.execute(wf, { idempotencyKey: 'week-2026-01-09', params: { n: 2 } });
    expect(first.deduplicated).toBe(false);
    expect(second).toMatchObject({ deduplicated: true, runId: first.runId, status: 'partial', completedSteps: ['fetch', 'load', 'report'] });
    expect(second.context.getOutput('load', 'loaded')).toBe(3);
    expect(second.context.getParam('n')).toBe(1);
    expect(calls).toEqual({ fetch: 1, notify_early: 1, load: 1, report: 1 });
    expect(await runner.store.history.listRuns()).toHaveLength(1);
  });

  it('returns a failed earlier run as it is, error included', async () => {
    const { wf } = world();
    const { runner } = testRunner();
    const first = await runner.execute(wf, { idempotencyKey: 'k' });
    const second = await runner.execute(wf, { idempotencyKey: 'k' });
    expect(second).toMatchObject({ deduplicated: true, status: 'failed', errorStep: 'load', error: 'target table locked', runId: first.runId });
    expect(second.failedSteps).toEqual(['notify_early', 'load']);
  });
});
