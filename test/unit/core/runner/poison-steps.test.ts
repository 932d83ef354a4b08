import { ErrorCategory, InMemoryRunStore, LeaseLostError, Step, Workflow, WorkflowRunner, type RunStore, type StepRecord } from 'spine-orchestration';
import { FakeClock } from 'spine-orchestration/testing';
import { gate } from '../../../fixtures/stores';

const HOUR = 3_600_000;

/** Lets the event loop turn until `condition` holds (bounded). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1_000 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 1));
}

/** One runner per "process", each on its own fake clock an hour after the previous one (its leases long expired). */
function processes(store: RunStore, options: { maxLostExecutions?: number } = {}) {
  let n = 0;
  return () => {
    const clock = new FakeClock({ start: Date.UTC(2026, 0, 1) + n * HOUR, autoAdvance: false });
    return new WorkflowRunner({ store, clock, lease: { owner: `process-${n++}`, durationMs: 1_000, heartbeatMs: 60_000 }, ...options });
  };
}

describe('poison steps', () => {
  it('fail the run once the same step was lost three times in a row, naming the step; a resume by hand runs it again', async () => {
    const store = new InMemoryRunStore();
    const hang = gate();
    let calls = 0;
    const wf = Workflow.define({
      name: 'poison',
      steps: [
        Step.lambda('fine', () => ({ ok: true })),
        Step.lambda('crashes', async () => {
          calls++;
          await hang.wait(); // its process "dies" here each time: nobody ever finishes it
          return { survived: true };
        }),
      ],
    });
    const next = processes(store);
    const lost: Promise<unknown>[] = [
      next()
        .execute(wf, { runId: 'poison' })
        .catch((e: unknown) => e),
    ];
    await until(() => calls === 1);
    for (const count of [1, 2]) {
      lost.push(
        next()
          .resume('poison', { workflow: wf })
          .catch((e: unknown) => e),
      );
      await until(() => calls === count + 1);
      expect(await store.getRun('poison')).toMatchObject({ lostExecutions: count, lostStep: 'crashes:1', leaseEpoch: count + 1 });
    }
    const third = await next().resume('poison', { workflow: wf });
    expect(third).toMatchObject({ status: 'failed', errorStep: 'crashes', errorCategory: ErrorCategory.INTERNAL });
    expect(third.error).toBe(
      'Step "crashes" of run "poison" was lost 3 times in a row: each execution of it ended without finishing (the process died, was stopped or lost the ' +
        'database each time). The run is failed instead of being recovered again; fix the cause, then resume it (spine.resume("poison")).',
    );
    expect(calls).toBe(3);
    expect(await next().recover()).toEqual([]); // failed: recovery leaves it alone

    hang.open();
    for (const zombie of await Promise.all(lost)) expect(zombie).toBeInstanceOf(LeaseLostError);
    const fixed = await next().resume('poison', { workflow: wf });
    expect(fixed).toMatchObject({ status: 'completed', completedSteps: ['fine', 'crashes'] });
    expect(calls).toBe(4);
  });

  it('name the last cause a store recorded: an output the store keeps refusing', async () => {
    const inner = new InMemoryRunStore();
    const refusing = new Proxy(inner, {
      get(target, key) {
        if (key === 'recordStep') {
          return (step: StepRecord, progress: never) => {
            if (step.stepName === 'export' && step.status === 'completed') throw new Error('Got a packet bigger than max_allowed_packet bytes');
            return target.recordStep(step, progress);
          };
        }
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    let calls = 0;
    const wf = Workflow.define({ name: 'refused', steps: [Step.lambda('export', () => ({ n: ++calls }))] });
    const next = processes(refusing, { maxLostExecutions: 2 });
    await expect(next().execute(wf, { runId: 'refused' })).rejects.toThrow(/was interrupted at step "export": the run store failed \(Got a packet bigger/);
    expect(await inner.getRun('refused')).toMatchObject({ status: 'running', errorStep: 'export', error: expect.stringContaining('max_allowed_packet') });
    await expect(next().resume('refused', { workflow: wf })).rejects.toThrow(/interrupted/);
    const given = await next().resume('refused', { workflow: wf });
    expect(given).toMatchObject({ status: 'failed', errorStep: 'export' });
    expect(given.error).toMatch(
      /^Step "export" of run "refused" was lost 2 times in a row: each execution of it ended without finishing \(last recorded cause: Run "refused" of workflow "refused" was interrupted at step "export": the run store failed \(Got a packet bigger than max_allowed_packet bytes\)/,
    );
    expect(calls).toBe(2);
  });

  it('do not count a wait: a run waiting a long time through restarts is not poison', async () => {
    const store = new InMemoryRunStore();
    const wf = Workflow.define({ name: 'patient', steps: [Step.wait('publication', { seconds: 7 * 24 * 3600 }), Step.lambda('after', () => ({}))] });
    const next = processes(store);
    const waiting = async (epoch: number) => (await store.getRun('patient'))?.leaseEpoch === epoch && (await store.getRunSteps('patient')).length > 0;
    void next().execute(wf, { runId: 'patient' });
    await until(() => waiting(1));
    for (let i = 2; i <= 6; i++) {
      void next().resume('patient', { workflow: wf });
      await until(() => waiting(i));
    }
    expect(await store.getRun('patient')).toMatchObject({ status: 'running', lostExecutions: 0, leaseEpoch: 6 });
  });
});
