import { Spine, Step, StepResult, Workflow, type RunEvent } from 'spine-orchestration';
import { testDrivers, useTestDatabase } from '../support/databases';

jest.setTimeout(30_000);

/** fetch → waits for the desk's "go" → book; a retry on the way. */
const booking = () => {
  let attempts = 0;
  return Workflow.define({
    name: 'watch.booking',
    steps: [
      Step.lambda('fetch', () => (++attempts === 1 ? StepResult.fail('the feed blinked', { category: 'NETWORK' }) : { rows: 3 }), { retry: { maxAttempts: 2, initialDelayMs: 1, jitter: false } }),
      Step.waitForSignal('go'),
      Step.lambda('book', (ctx) => ({ booked: ctx.getOutput<{ amount: number }>('go')!.amount })),
    ],
  });
};

const collect = async (events: AsyncIterable<RunEvent>, seen: RunEvent[]): Promise<void> => {
  for await (const event of events) seen.push(event);
};

describe.each(testDrivers())('spine.watch (%s): a run’s progress from another process', (driver) => {
  const database = useTestDatabase(driver);

  it('follows a run another Spine executes, step by step, through its wait, and ends with the run', async () => {
    const owner = await Spine.create({
      database: database().dataSource,
      workflows: [booking()],
      recoverOnStart: false,
      signalPollMs: 20,
      logger: { warn: () => undefined, error: () => undefined, info: () => undefined },
    });
    const watcher = await Spine.create({ database: database().dataSource, workflows: [], recoverOnStart: false, logger: { warn: () => undefined, error: () => undefined, info: () => undefined } });
    try {
      const { runId, result } = await owner.start('watch.booking');
      const seen: RunEvent[] = [];
      const watching = collect(watcher.watch(runId, { pollIntervalMs: 20 }), seen);
      // the watcher sees the run wait before anyone sends the signal
      for (let i = 0; i < 400 && !seen.some((e) => e.type === 'signal_waiting'); i++) await new Promise((r) => setTimeout(r, 10));
      expect(seen.map((e) => e.type)).toEqual(['run_started', 'step_retried', 'step_completed', 'signal_waiting']);
      await watcher.signal(runId, 'go', { amount: 250 });
      await watching; // it ends by itself once the run has ended
      expect((await result).status).toBe('completed');
      const told = seen.map((e) => `${e.type}${e.step === undefined ? '' : ` ${e.step}`}`);
      // the steps in order, the signal's arrival (stored with the run's later writes) before the run's end, which comes last
      expect(told.filter((t) => t !== 'signal_received go')).toEqual([
        'run_started',
        'step_retried fetch',
        'step_completed fetch',
        'signal_waiting go',
        'step_completed go',
        'step_completed book',
        'run_completed',
      ]);
      expect(told.indexOf('signal_received go')).toBeGreaterThan(told.indexOf('signal_waiting go'));
      expect(told.indexOf('signal_received go')).toBeLessThan(told.indexOf('run_completed'));
      expect(seen.every((e) => e.runId === runId && e.workflow === 'watch.booking')).toBe(true);
      expect(seen.find((e) => e.type === 'step_retried')).toMatchObject({ error: 'the feed blinked', errorCategory: 'NETWORK', attempt: 1 });
      // an ended run: its whole history, then the end
      const again: RunEvent[] = [];
      await collect(watcher.watch(runId), again);
      const steps = (events: RunEvent[]) => events.filter((e) => e.type !== 'signal_received').map((e) => e.type);
      expect(steps(again)).toEqual(steps(seen));
      expect(again.filter((e) => e.type === 'signal_received')).toHaveLength(1);
      await expect(collect(watcher.watch('no-such-run'), [])).rejects.toThrow('Run "no-such-run" was not found');
    } finally {
      await watcher.close();
      await owner.close();
    }
  });

  it('stops when its signal is aborted', async () => {
    const spine = await Spine.create({
      database: database().dataSource,
      workflows: [booking()],
      recoverOnStart: false,
      logger: { warn: () => undefined, error: () => undefined, info: () => undefined },
    });
    try {
      const { runId } = await spine.start('watch.booking');
      const stop = new AbortController();
      const seen: RunEvent[] = [];
      const watching = collect(spine.watch(runId, { pollIntervalMs: 20, signal: stop.signal }), seen);
      for (let i = 0; i < 400 && !seen.some((e) => e.type === 'signal_waiting'); i++) await new Promise((r) => setTimeout(r, 10));
      stop.abort();
      await watching;
      expect(seen.map((e) => e.type)).toContain('signal_waiting');
      await spine.cancel(runId);
    } finally {
      await spine.close();
    }
  });
});
