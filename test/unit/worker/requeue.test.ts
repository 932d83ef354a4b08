import 'reflect-metadata';
import { IsInt, Max } from 'class-validator';
import { InMemoryRunStore, LambdaStep, SpineError, Step, Workflow, WorkflowRunner, type RunEvent, type WorkflowContext } from 'spine-orchestration';
import { sleep } from '../../support/polling';
import { useSpines } from '../../support/spines';

class LoadParams {
  @IsInt({ message: 'rows must be a whole number' })
  @Max(1_000, { message: 'rows must be at most 1000' })
  rows!: number;
}

/** extract → load (fails while `rows` is over 100) → report; records what ran, in which process. */
const calls: string[] = [];

@Workflow({ name: 'requeue.load', queue: 'loads', params: LoadParams })
class LoadWorkflow {
  @LambdaStep() extract() {
    calls.push('extract');
    return { extracted: true };
  }
  @LambdaStep() load(ctx: WorkflowContext) {
    calls.push(`load:${ctx.getParam<number>('rows')}`);
    if (ctx.getParam<number>('rows') > 100) throw new Error('too many rows for the target table');
    return { loaded: ctx.getParam<number>('rows') };
  }
  @LambdaStep() report() {
    calls.push('report');
    return {};
  }
}

const local = Workflow.define({ name: 'requeue.local', steps: [Step.lambda('boom', () => Promise.reject(new Error('no luck')))] });

describe('requeue: a failed run goes back on its queue and a worker resumes it where it stopped', () => {
  const { create, forget } = useSpines();
  beforeEach(() => void (calls.length = 0));

  /** A run enqueued on 'loads' that a worker ran and that failed at "load"; the worker is gone since. */
  async function failedRun(store: InMemoryRunStore, onEvent?: (event: RunEvent) => void) {
    const producer = await create({ store, workflows: [LoadWorkflow, local], ...(onEvent && { onEvent }) });
    const { runId } = await producer.enqueue('requeue.load', { params: { rows: 500 } });
    const worker = await create({ store, workflows: [LoadWorkflow, local], worker: { queues: ['loads'], pollIntervalMs: 10 } });
    expect((await producer.waitForResult(runId, { timeoutMs: 5_000 })).status).toBe('failed');
    forget(worker);
    await worker.close();
    expect(calls).toEqual(['extract', 'load:500']);
    calls.length = 0;
    return { producer, runId };
  }

  it('records it queued with the params override merged and validated; nothing runs until a worker of its queue takes it; only unfinished steps run again', async () => {
    const store = new InMemoryRunStore();
    const events: RunEvent[] = [];
    const { producer, runId } = await failedRun(store, (e) => void events.push(e));
    const queued = await producer.requeue(runId, { paramsOverride: { rows: '40' } });
    expect(events.filter((e) => e.type === 'run_requeued')).toEqual([expect.objectContaining({ runId, workflow: 'requeue.load', queue: 'loads', reason: 'params overridden: rows' })]);
    expect(queued).toMatchObject({ runId, status: 'queued', queue: 'loads', leaseOwner: null, params: { rows: 40 } });
    await sleep(30);
    expect(calls).toEqual([]); // the producer serves no queue: nothing of the run runs here
    await create({ store, workflows: [LoadWorkflow, local], worker: { queues: ['loads'], pollIntervalMs: 10 } });
    const result = await producer.waitForResult(runId, { timeoutMs: 5_000 });
    expect(result).toMatchObject({ status: 'completed', completedSteps: ['extract', 'load', 'report'] });
    expect(calls).toEqual(['load:40', 'report']);
    expect(result.context.getOutput('load', 'loaded')).toBe(40);
  });

  it('refuses, naming the fault and changing nothing: params the DTO rejects, a run without a queue, a run that is not failed or stopped, an unknown run', async () => {
    const store = new InMemoryRunStore();
    const { producer, runId } = await failedRun(store);
    await expect(producer.requeue(runId, { paramsOverride: { rows: 5_000 } })).rejects.toThrow(/rows must be at most 1000/);
    expect(await producer.getRun(runId)).toMatchObject({ status: 'failed', params: { rows: 500 } });

    const noQueue = await producer.run('requeue.local');
    const refused = await producer.requeue(noQueue.runId).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(SpineError);
    expect(refused).toMatchObject({
      kind: 'invalid-argument',
      message: `Run "${noQueue.runId}" of workflow "requeue.local" was not enqueued (it has no queue), so no worker takes it; resume it in a process instead (resume, \`spine resume ${noQueue.runId}\`).`,
    });

    await producer.requeue(runId);
    await expect(producer.requeue(runId)).rejects.toMatchObject({
      kind: 'run-in-progress',
      message: `Run "${runId}" of workflow "requeue.load" is queued on queue "loads"; only a failed or stopped run can be put back on its queue.`,
    });
    await expect(producer.requeue('no-such-run')).rejects.toMatchObject({ kind: 'unknown-run' });
  });

  it('refuses a completed or cancelled run, and a changed definition unless allowDefinitionChange', async () => {
    const store = new InMemoryRunStore();
    const queued = Workflow.define({ name: 'requeue.defined', queue: 'loads', steps: [Step.lambda('a', () => Promise.reject(new Error('down')))] });
    const done = Workflow.define({ name: 'requeue.done', queue: 'loads', steps: [Step.lambda('a', () => ({}))] });
    const known = new Map([queued, done].map((w) => [w.name, w] as const));
    const runner = new WorkflowRunner({ store, workflows: { get: (n) => known.get(n), names: () => [...known.keys()] } });
    const enqueued = async (wf: typeof queued) => {
      const { runId } = await runner.enqueue(wf);
      const now = new Date();
      const [claimed] = await store.claimQueued({
        owner: runner.owner,
        queues: [{ name: 'loads', limits: {} }],
        max: 1,
        now,
        leaseExpiresAt: new Date(now.getTime() + 60_000),
        held: { hashes: [], anyOf: [wf.name] },
      });
      expect(claimed!.run.runId).toBe(runId);
      return runner.runClaimed(claimed!);
    };
    const failed = await enqueued(queued);
    const changed = Workflow.define({ name: 'requeue.defined', queue: 'loads', steps: [Step.lambda('a', () => ({})), Step.lambda('b', () => ({}))] });
    await expect(runner.requeue(failed.runId, { workflow: changed })).rejects.toMatchObject({ kind: 'definition-changed' });
    expect((await store.getRun(failed.runId))!.status).toBe('failed');
    expect(await runner.requeue(failed.runId, { workflow: changed, allowDefinitionChange: true })).toMatchObject({ status: 'queued' });

    const completed = await enqueued(done);
    await expect(runner.requeue(completed.runId)).rejects.toThrow(/already completed; there is nothing to resume/);
    const { runId: cancelled } = await runner.enqueue(queued);
    await runner.cancel(cancelled);
    await expect(runner.requeue(cancelled)).rejects.toThrow(/was cancelled; cancelled runs are final/);
  });
});
