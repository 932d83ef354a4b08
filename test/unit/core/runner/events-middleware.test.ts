import { ErrorCategory, Step, StepResult, Workflow, type StepMiddleware } from 'spine-orchestration';
import { failingStep, testRunner, valueStep } from '../../../fixtures/workflows';

describe('WorkflowRunner events', () => {
  it('emits run and step events with run id, trace id, step, attempt and duration, and keeps them on the result', async () => {
    const wf = Workflow.define({
      name: 'ev',
      steps: [valueStep('a'), Step.choice('c', { when: () => true, then: 'd' }), valueStep('b'), failingStep('d', { onError: 'CONTINUE' })],
    });
    const { runner, events } = testRunner();
    const result = await runner.execute(wf, { traceId: 'trace-1' });
    expect(events.map((e) => `${e.type}${e.step ? `:${e.step}` : ''}`)).toEqual([
      'run_started',
      'step_started:a',
      'step_completed:a',
      'step_started:c',
      'step_completed:c',
      'step_skipped:b',
      'step_started:d',
      'step_failed:d',
      'run_completed',
    ]);
    expect(result.events).toEqual(events);
    for (const e of events) expect(e).toMatchObject({ runId: result.runId, traceId: 'trace-1', workflow: 'ev' });
    expect(events[2]).toMatchObject({ attempt: 1, iteration: 1, durationMs: expect.any(Number) });
    expect(events[7]).toMatchObject({ error: 'd broke', errorCategory: ErrorCategory.INTERNAL });
  });

  it('emits run_failed with the failing step', async () => {
    const { runner, events } = testRunner();
    await runner.execute(Workflow.define({ name: 'f', steps: [failingStep('x')] }));
    expect(events.at(-1)).toMatchObject({ type: 'run_failed', step: 'x', error: 'x broke' });
  });

  it('keeps running when a listener throws', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { runner } = testRunner({
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    const result = await runner.execute(Workflow.define({ name: 'l', steps: [valueStep('a')] }));
    expect(result.status).toBe('completed');
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('listener bug'));
    warn.mockRestore();
  });
});

describe('WorkflowRunner middleware', () => {
  it('wraps every attempt, outermost first, and sees the step it wraps', async () => {
    const log: string[] = [];
    const outer: StepMiddleware = async (step, _ctx, next) => {
      log.push(`outer>${step.name}#${step.attempt}`);
      const r = await next();
      log.push(`outer<${step.name}`);
      return r;
    };
    const inner: StepMiddleware = async (step, ctx, next) => {
      log.push(`inner>${step.name}:${ctx.currentStep}`);
      return next();
    };
    const { runner } = testRunner({ middleware: [outer, inner] });
    await runner.execute(Workflow.define({ name: 'mw', steps: [valueStep('a'), valueStep('b')] }));
    expect(log).toEqual(['outer>a#1', 'inner>a:a', 'outer<a', 'outer>b#1', 'inner>b:b', 'outer<b']);
  });

  it('may short-circuit a step or replace its result', async () => {
    let ran = false;
    const cache: StepMiddleware = async (step, _ctx, next) => (step.name === 'expensive' ? StepResult.ok({ cached: true }) : next());
    const { runner } = testRunner({ middleware: [cache] });
    const result = await runner.execute(
      Workflow.define({
        name: 'sc',
        steps: [
          Step.lambda('expensive', () => {
            ran = true;
          }),
        ],
      }),
    );
    expect(ran).toBe(false);
    expect(result.context.getOutput('expensive')).toEqual({ cached: true });
  });

  it('turns a middleware that throws or returns garbage into a step failure', async () => {
    const { runner } = testRunner({ middleware: [async () => 'nope' as never] });
    const result = await runner.execute(Workflow.define({ name: 'g', steps: [valueStep('a')] }));
    expect(result.error).toBe('a middleware returned string instead of a StepResult');
  });
});
