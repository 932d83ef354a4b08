import { ErrorCategory, ErrorPolicy, RetryPolicy, Step, StepError, StepResult, Workflow } from 'spine-orchestration';
import { failingStep, flaky, testRunner, valueStep } from '../../../fixtures/workflows';

describe('WorkflowRunner error policies', () => {
  describe('STOP (default)', () => {
    it('ends the run failed at the step, with its error, and runs nothing after it', async () => {
      const wf = Workflow.define({ name: 'stop', steps: [valueStep('a'), failingStep('b'), valueStep('c')] });
      const result = await testRunner().runner.execute(wf);
      expect(result).toMatchObject({ status: 'failed', errorStep: 'b', error: 'b broke', errorCategory: ErrorCategory.INTERNAL });
      expect(result.completedSteps).toEqual(['a']);
      expect(result.failedSteps).toEqual(['b']);
    });

    it('turns a thrown error into a failure with category INTERNAL and the message kept', async () => {
      const wf = Workflow.define({
        name: 'throws',
        steps: [
          Step.lambda('t', () => {
            throw new TypeError('bad input row 7');
          }),
        ],
      });
      const result = await testRunner().runner.execute(wf);
      expect(result).toMatchObject({ status: 'failed', error: 'bad input row 7', errorCategory: ErrorCategory.INTERNAL });
    });

    it('keeps the category of a thrown StepError', async () => {
      const wf = Workflow.define({
        name: 'cat',
        steps: [
          Step.lambda('t', async () => {
            throw new StepError('upstream 503', ErrorCategory.DEPENDENCY);
          }),
        ],
      });
      expect((await testRunner().runner.execute(wf)).errorCategory).toBe(ErrorCategory.DEPENDENCY);
    });
  });

  describe('CONTINUE', () => {
    it('records the failure and goes on; the run ends partial (the design’s PARTIAL)', async () => {
      const wf = Workflow.define({
        name: 'cont',
        steps: [valueStep('a'), failingStep('notify', { onError: ErrorPolicy.CONTINUE }), valueStep('c')],
      });
      const result = await testRunner().runner.execute(wf);
      expect(result.status).toBe('partial');
      expect(result.failedSteps).toEqual(['notify']);
      expect(result.completedSteps).toEqual(['a', 'c']);
      expect(result.context.hasOutput('notify')).toBe(false);
    });
  });

  describe('RETRY', () => {
    it('retries with backoff until the step succeeds and records each attempt', async () => {
      const handler = flaky(2, () => new StepError('timeout talking to FINRA', ErrorCategory.TRANSIENT));
      const wf = Workflow.define({
        name: 'retry',
        steps: [Step.lambda('fetch', handler, { onError: ErrorPolicy.RETRY, retry: { maxAttempts: 3, initialDelayMs: 100, jitter: false } })],
      });
      const { runner, clock, events } = testRunner();
      const result = await runner.execute(wf);
      expect(result.status).toBe('completed');
      expect(handler.calls).toBe(3);
      expect(result.context.getOutput('fetch', 'attempt')).toBe(3);
      expect(clock.sleeps).toEqual([100, 200]);
      expect(result.steps).toEqual([expect.objectContaining({ name: 'fetch', attempts: 3, status: 'completed' })]);
      const records = await runner.store.journal.getRunSteps(result.runId);
      expect(records.map((r) => [r.attempt, r.status])).toEqual([
        [1, 'retried'],
        [2, 'retried'],
        [3, 'completed'],
      ]);
      expect(new Set(records.map((r) => r.idempotencyKey)).size).toBe(1);
      expect(events.filter((e) => e.type === 'step_retried').map((e) => e.delayMs)).toEqual([100, 200]);
    });

    it('stops after maxAttempts and fails the run', async () => {
      const handler = flaky(10);
      const wf = Workflow.define({ name: 'exhaust', steps: [Step.lambda('fetch', handler, { retry: new RetryPolicy({ maxAttempts: 2, jitter: false }) })] });
      const result = await testRunner().runner.execute(wf);
      expect(result).toMatchObject({ status: 'failed', errorStep: 'fetch', error: 'flaky' });
      expect(handler.calls).toBe(2);
    });

    it('does not retry categories that are not retryable', async () => {
      let calls = 0;
      const wf = Workflow.define({
        name: 'noretry',
        steps: [
          Step.lambda(
            'check',
            () => {
              calls++;
              return StepResult.fail('bad config', { category: ErrorCategory.CONFIGURATION });
            },
            { onError: ErrorPolicy.RETRY },
          ),
        ],
      });
      await testRunner().runner.execute(wf);
      expect(calls).toBe(1);
    });

    it('uses the runner default retry policy for RETRY steps without their own', async () => {
      const handler = flaky(4);
      const wf = Workflow.define({ name: 'dflt', steps: [Step.lambda('s', handler, { onError: ErrorPolicy.RETRY })] });
      const { runner } = testRunner({ defaultRetry: { maxAttempts: 5, initialDelayMs: 1 } });
      expect((await runner.execute(wf)).status).toBe('completed');
      expect(handler.calls).toBe(5);
    });
  });

  describe('timeouts', () => {
    it('aborts the step signal and fails the step with TIMEOUT', async () => {
      let sawAbort = false;
      const wf = Workflow.define({
        name: 'slow',
        steps: [
          Step.lambda(
            'hang',
            (_ctx, _config, step) =>
              new Promise((resolve) => {
                step.signal.addEventListener('abort', () => {
                  sawAbort = true;
                  resolve(undefined);
                });
              }),
            { timeoutMs: 20 },
          ),
        ],
      });
      const { runner } = testRunner({ clock: undefined });
      const result = await runner.execute(wf);
      expect(result).toMatchObject({ status: 'failed', errorStep: 'hang', errorCategory: ErrorCategory.TIMEOUT, error: 'step "hang" timed out after 20 ms' });
      expect(sawAbort).toBe(true);
    });

    it('gives up on a step that ignores its signal', async () => {
      const wf = Workflow.define({ name: 'deaf', steps: [Step.lambda('deaf', () => new Promise(() => undefined), { timeoutMs: 10 })] });
      const result = await testRunner({ clock: undefined, defaultTimeoutMs: 5000 }).runner.execute(wf);
      expect(result.errorCategory).toBe(ErrorCategory.TIMEOUT);
    });
  });

  describe('cancellation', () => {
    it('aborts the running step and ends the run cancelled', async () => {
      const controller = new AbortController();
      let stepSignal: AbortSignal | undefined;
      const wf = Workflow.define({
        name: 'cancel',
        steps: [
          Step.lambda('long', (_c, _cfg, step) => {
            stepSignal = step.signal;
            setTimeout(() => controller.abort('operator asked'), 5);
            return new Promise(() => undefined);
          }),
          valueStep('never'),
        ],
      });
      const { runner, events } = testRunner({ clock: undefined });
      const result = await runner.execute(wf, { signal: controller.signal });
      expect(result.status).toBe('cancelled');
      expect(stepSignal?.aborted).toBe(true);
      expect(result.completedSteps).toEqual([]);
      expect(events.map((e) => e.type)).toContain('run_cancelled');
      expect((await runner.store.journal.getRun(result.runId))?.status).toBe('cancelled');
    });

    it('does not start a run whose signal is already aborted', async () => {
      let ran = false;
      const wf = Workflow.define({
        name: 'pre',
        steps: [
          Step.lambda('a', () => {
            ran = true;
          }),
        ],
      });
      const result = await testRunner().runner.execute(wf, { signal: AbortSignal.abort() });
      expect(result.status).toBe('cancelled');
      expect(ran).toBe(false);
    });

    it('stops at the next step boundary with stopSignal, leaving the running step alone', async () => {
      const stop = new AbortController();
      let stepAborted: boolean | undefined;
      const wf = Workflow.define({
        name: 'stop',
        steps: [
          Step.lambda('a', (_c, _cfg, step) => {
            stop.abort();
            stepAborted = step.signal.aborted;
            return { done: true };
          }),
          valueStep('b'),
        ],
      });
      const result = await testRunner().runner.execute(wf, { stopSignal: stop.signal });
      expect(result.status).toBe('stopped');
      expect(result.completedSteps).toEqual(['a']);
      expect(stepAborted).toBe(false);
    });
  });
});
