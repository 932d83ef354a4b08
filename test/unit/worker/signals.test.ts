import 'reflect-metadata';
import { InMemoryRunStore, LambdaStep, Step, StepResult, WaitForSignal, Workflow, type Clock, type RunEvent, type WorkflowContext } from 'spine-orchestration';

import { until } from '../../support/polling';
import { useSpines } from '../../support/spines';

const approvalFlow = Workflow.define({
  name: 'approval-flow',
  queue: 'q',
  steps: [Step.lambda('prepare', () => ({ prepared: true })), Step.waitForSignal('approval'), Step.lambda('publish', (ctx) => ({ by: ctx.getOutput('approval', 'by') }))],
});

describe('signals (in-memory store)', () => {
  const { create } = useSpines();

  it("a worker's run parks in the wait (no lease, no slot) until the signal comes; its payload is the step's output", async () => {
    const store = new InMemoryRunStore();
    const events: RunEvent[] = [];
    const spine = await create({ store, workflows: [approvalFlow], worker: { queues: ['q'], pollIntervalMs: 5 }, onEvent: (e) => void events.push(e) });
    const { runId } = await spine.enqueue('approval-flow');
    const parked = await until(async () => ((await store.getRun(runId))?.status === 'waiting' ? store.getRun(runId) : null));
    expect(parked).toMatchObject({ leaseOwner: null, lastCompletedStep: 'prepare' });
    expect(spine.activeRuns).toBe(0);
    expect((await store.getRunSteps(runId)).find((s) => s.status === 'waiting')).toMatchObject({ stepName: 'approval', output: { wakeAt: null, signal: 'approval' } });
    expect(events.find((e) => e.type === 'signal_waiting')).toMatchObject({ step: 'approval', signal: 'approval' });
    await spine.signal(runId, 'approval', { by: 'steward@example.com' });
    const result = await spine.waitForResult(runId, { timeoutMs: 3_000 });
    expect(result.status).toBe('completed');
    expect(result.context.getOutput('approval')).toEqual({ by: 'steward@example.com' });
    expect(result.context.getOutput('publish', 'by')).toBe('steward@example.com');
    expect(await spine.listSignals(runId)).toEqual([expect.objectContaining({ name: 'approval', consumedBy: `${runId}:approval:1` })]);
    expect(events.some((e) => e.type === 'signal_received' && e.signal === 'approval')).toBe(true);
  });

  it('a signal sent before the run reaches the wait is kept and consumed then; each signal is consumed once, oldest first', async () => {
    const store = new InMemoryRunStore();
    const twice = Workflow.define({
      name: 'twice',
      queue: 'q',
      steps: [Step.waitForSignal('first', { signal: 'go' }), Step.waitForSignal('second', { signal: 'go' })],
    });
    const spine = await create({ store, workflows: [twice] });
    const { runId } = await spine.enqueue('twice');
    await spine.signal(runId, 'go', 1);
    await spine.signal(runId, 'go', 2);
    await spine.signal(runId, 'go', 3);
    spine.startWorker({ queues: ['q'], pollIntervalMs: 5 });
    const result = await spine.waitForResult(runId, { timeoutMs: 3_000 });
    expect([result.context.getOutput('first', 'payload'), result.context.getOutput('second', 'payload')]).toEqual([1, 2]);
    expect((await spine.listSignals(runId)).map((s) => s.consumedBy)).toEqual([`${runId}:first:1`, `${runId}:second:1`, null]);
  });

  it('a run executed in place waits in its process and takes a signal sent from here at once', async () => {
    // a clock whose sleeps never end by themselves: only the signal's notice can wake the wait (not its next look at the store)
    const clock: Clock = {
      now: () => Date.now(),
      setTimer: (ms, callback) => {
        const timer = setTimeout(callback, ms);
        return () => clearTimeout(timer);
      },
      sleep: (_ms, signal) => new Promise<void>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true })),
    };
    const spine = await create({ store: new InMemoryRunStore(), workflows: [approvalFlow], clock });
    const { runId, result } = await spine.start('approval-flow');
    await until(async () => (await spine.getRunSteps(runId)).some((s) => s.status === 'waiting'));
    await spine.signal(runId, 'approval', { by: 'me' });
    const done = await Promise.race([result, new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000))]);
    expect(done?.status).toBe('completed');
    expect(done?.context.getOutput('approval', 'by')).toBe('me');
  });

  it("timeouts: 'fail' fails the step with TIMEOUT (a signal sent then is kept for its resume), 'continue' goes on with { timedOut: true }", async () => {
    const store = new InMemoryRunStore();
    const strict = Workflow.define({ name: 'strict', queue: 'q', steps: [Step.waitForSignal('ok', { timeoutMs: 80 }), Step.lambda('after', () => ({}))] });
    const lenient = Workflow.define({ name: 'lenient', queue: 'q', steps: [Step.waitForSignal('ok', { timeoutMs: 80, onTimeout: 'continue' }), Step.lambda('after', () => ({}))] });
    const spine = await create({ store, workflows: [strict, lenient], worker: { queues: ['q'], pollIntervalMs: 5, parkAfterMs: 0 } });
    const a = await spine.enqueue('strict');
    const b = await spine.enqueue('lenient');
    const failed = await spine.waitForResult(a.runId, { timeoutMs: 3_000 });
    expect(failed).toMatchObject({ status: 'failed', errorStep: 'ok', errorCategory: 'TIMEOUT' });
    expect(failed.error).toMatch(/no signal "ok" arrived within 80 ms of step "ok" beginning to wait/);
    // the failed run keeps a signal sent now; its resume consumes it (the deadline has passed, the signal wins)
    await spine.signal(a.runId, 'ok', { late: true });
    const resumed = await spine.resume(a.runId);
    expect(resumed.status).toBe('completed');
    expect(resumed.context.getOutput('ok')).toEqual({ late: true });
    const went = await spine.waitForResult(b.runId, { timeoutMs: 3_000 });
    expect(went.status).toBe('completed');
    expect(went.context.getOutput('ok')).toEqual({ timedOut: true, signal: 'ok' });
  });

  it('refuses a signal to an unknown or finished run, naming it', async () => {
    const spine = await create({ store: new InMemoryRunStore(), workflows: [approvalFlow] });
    await expect(spine.signal('no-such-run', 'approval')).rejects.toThrow(/Run "no-such-run" is not in the run store; the signal "approval" was not sent/);
    const { runId, result } = await spine.start('approval-flow');
    await spine.signal(runId, 'approval', {});
    const done = await result;
    expect(done.status).toBe('completed');
    await expect(spine.signal(done.runId, 'approval')).rejects.toThrow(new RegExp(`Run "${done.runId}" of workflow "approval-flow" is completed; the signal "approval" was not sent`));
    await expect(spine.signal(done.runId, '')).rejects.toThrow(/a signal name must be a non-empty string/);
  });

  it("qualityMode 'approve': a breach parks the run until a person approves (it goes on) or rejects it (DATA_QUALITY)", async () => {
    const gated = Workflow.define({
      name: 'gated',
      queue: 'q',
      steps: [
        Step.lambda('validate', () => StepResult.ok({ rows: 90 }, { quality: { recordCount: 100, validCount: 90, invalidCount: 10 } }), {
          quality: { minValidRate: 0.99 },
          qualityMode: 'approve',
        }),
        Step.lambda('load', () => ({ loaded: true })),
      ],
    });
    const store = new InMemoryRunStore();
    const events: RunEvent[] = [];
    const spine = await create({ store, workflows: [gated], worker: { queues: ['q'], pollIntervalMs: 5 }, onEvent: (e) => void events.push(e) });
    const approved = await spine.enqueue('gated');
    const rejected = await spine.enqueue('gated');
    for (const { runId } of [approved, rejected]) await until(async () => (await store.getRun(runId))?.status === 'waiting');
    expect(events.find((e) => e.type === 'signal_waiting')).toMatchObject({
      step: 'validate',
      signal: 'approval:validate',
      violations: [expect.stringMatching(/validRate 0.9 is below minValidRate 0.99/)],
    });
    await spine.approve(approved.runId, 'validate', { by: 'ana', note: 'known vendor gap' });
    await spine.reject(rejected.runId, 'validate', { by: 'ana', note: 'too many rejects' });
    const ok = await spine.waitForResult(approved.runId, { timeoutMs: 3_000 });
    expect(ok.status).toBe('completed');
    expect(ok.context.getOutput('validate', 'rows')).toBe(90);
    const no = await spine.waitForResult(rejected.runId, { timeoutMs: 3_000 });
    expect(no).toMatchObject({ status: 'failed', errorStep: 'validate', errorCategory: 'DATA_QUALITY' });
    expect(no.error).toMatch(/Quality gate of step "validate" failed: .*minValidRate 0.99.*; rejected by ana \(too many rejects\)/);
  });

  it('@WaitForSignal on a workflow class', async () => {
    @Workflow({ name: 'decorated-signal', queue: 'q' })
    class DecoratedSignal {
      @WaitForSignal({ name: 'file-landed', timeoutMs: 5_000 })
      landed() {}

      @LambdaStep()
      load(ctx: WorkflowContext) {
        return { file: ctx.getOutput('landed', 'path') };
      }
    }
    const spine = await create({ store: new InMemoryRunStore(), workflows: [DecoratedSignal], worker: { queues: ['q'], pollIntervalMs: 5 } });
    expect(spine.workflow('decorated-signal').steps[0]).toMatchObject({ type: 'wait', signal: { name: 'file-landed', timeoutMs: 5_000, onTimeout: 'fail' } });
    const { runId } = await spine.enqueue('decorated-signal');
    await spine.signal(runId, 'file-landed', { path: '/data/in/2026-11-27.csv' });
    const result = await spine.waitForResult(runId, { timeoutMs: 3_000 });
    expect(result.context.getOutput('load', 'file')).toBe('/data/in/2026-11-27.csv');
  });
});
