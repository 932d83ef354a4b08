import { ErrorCategory, ErrorPolicy, LambdaStep, Schedule, Step, StepResult, Workflow } from 'spine-orchestration';
import { createTestSpine, durationMs, type TestSpine } from 'spine-orchestration/testing';

const DAY = 86_400_000;
const HOUR = 3_600_000;

describe('createTestSpine: time that moves when the test says so', () => {
  let env: TestSpine | null = null;
  afterEach(async () => {
    await env?.close();
    env = null;
  });

  it('finishes a run with a 3-day wait after advance("3d"), through the worker and in this process alike', async () => {
    const wf = Workflow.define({
      name: 'kit.three_days',
      steps: [Step.lambda('before', (ctx) => ({ at: ctx.startedAt.toISOString() })), Step.wait('cool_off', { seconds: 3 * 86_400 }), Step.lambda('after', () => ({ done: true }))],
    });
    env = await createTestSpine({ workflows: [wf], start: new Date('2026-01-05T00:00:00Z') });
    const queued = await env.spine.enqueue('kit.three_days');
    const here = await env.spine.start('kit.three_days');
    await env.advance('2d');
    expect((await env.spine.getRun(queued.runId))?.status).toBe('waiting');
    expect(env.clock.now()).toBe(Date.parse('2026-01-07T00:00:00Z'));
    await env.advance('1d');
    const run = await env.spine.getRun(queued.runId);
    expect(run?.status).toBe('completed');
    expect(run!.finishedAt!.getTime() - run!.startedAt.getTime()).toBe(3 * DAY);
    const result = await here.result;
    expect(result.status).toBe('completed');
    expect(result.finishedAt.getTime() - result.startedAt.getTime()).toBe(3 * DAY);
  });

  it('times a signal wait out after a day, and delivers a signal sent before its timeout', async () => {
    const wf = Workflow.define({
      name: 'kit.approval',
      steps: [Step.waitForSignal('approval', { timeoutMs: DAY, onTimeout: 'fail' }), Step.lambda('publish', (ctx) => ({ approved: ctx.getOutput('approval', 'approved') ?? null }))],
    });
    env = await createTestSpine({ workflows: [wf], start: Date.parse('2026-02-02T09:00:00Z') });
    const ignored = await env.spine.enqueue('kit.approval');
    const answered = await env.spine.enqueue('kit.approval');
    await env.advance('2h');
    expect((await env.spine.getRun(answered.runId))?.waitingFor).toBe('approval');
    await env.spine.signal(answered.runId, 'approval', { approved: true });
    await env.advance('1m');
    expect((await env.spine.getRun(answered.runId))?.status).toBe('completed');
    expect((await env.spine.getRunSteps(answered.runId)).find((s) => s.stepName === 'publish')?.output).toEqual({ approved: true });
    await env.advance('21h');
    expect((await env.spine.getRun(ignored.runId))?.status).toBe('waiting');
    await env.advance('1h');
    const timedOut = await env.spine.getRun(ignored.runId);
    expect(timedOut?.status).toBe('failed');
    expect(timedOut?.errorStep).toBe('approval');
    expect(timedOut!.finishedAt!.getTime()).toBe(Date.parse('2026-02-03T09:00:00Z'));
  });

  it('retries a step after its 1-hour back-off', async () => {
    let attempts = 0;
    const wf = Workflow.define({
      name: 'kit.retry',
      steps: [
        Step.lambda('flaky', () => (++attempts === 1 ? StepResult.fail('vendor timed out', { category: ErrorCategory.TRANSIENT }) : StepResult.ok({ attempts })), {
          onError: ErrorPolicy.RETRY,
          retry: { maxAttempts: 2, initialDelayMs: HOUR, maxDelayMs: HOUR, jitter: false },
        }),
      ],
    });
    env = await createTestSpine({ workflows: [wf], start: Date.parse('2026-03-02T00:00:00Z') });
    const { runId } = await env.spine.enqueue('kit.retry');
    await env.advance('59m');
    expect(attempts).toBe(1);
    expect((await env.spine.getRun(runId))?.status).not.toBe('completed');
    await env.advance('1m');
    expect(attempts).toBe(2);
    const run = await env.spine.getRun(runId);
    expect(run?.status).toBe('completed');
    expect(run!.finishedAt!.getTime() - run!.startedAt.getTime()).toBe(HOUR);
  });

  it('fires a weekly schedule at 09:00 New York time on either side of the daylight-saving change', async () => {
    @Schedule('0 9 * * MON', { name: 'kit.weekly', timezone: 'America/New_York' })
    @Workflow({ name: 'kit.weekly_refresh' })
    class WeeklyRefresh {
      @LambdaStep()
      refresh(): { refreshed: boolean } {
        return { refreshed: true };
      }
    }
    // US daylight saving time begins on Sunday 2026-03-08: 09:00 EST is 14:00Z, 09:00 EDT is 13:00Z
    env = await createTestSpine({ workflows: [WeeklyRefresh], start: new Date('2026-02-28T00:00:00Z') });
    await env.advance('3w');
    const runs = await env.spine.listRuns({ workflow: 'kit.weekly_refresh' });
    expect(runs.map((r) => [r.triggerFireTime?.toISOString(), r.status]).reverse()).toEqual([
      ['2026-03-02T14:00:00.000Z', 'completed'],
      ['2026-03-09T13:00:00.000Z', 'completed'],
      ['2026-03-16T13:00:00.000Z', 'completed'],
    ]);
  });

  it('refuses a duration it cannot read, naming it', async () => {
    expect(durationMs('90s')).toBe(90_000);
    expect(durationMs('2d')).toBe(2 * DAY);
    expect(durationMs(1500)).toBe(1500);
    expect(() => durationMs('3 fortnights')).toThrow(/"3 fortnights" is not a duration.*'90s'/);
    expect(() => durationMs(-1)).toThrow(/-1 is not a duration/);
    env = await createTestSpine({ workflows: [], start: 0 });
    await expect(env.advance('soon')).rejects.toThrow(/advance: "soon" is not a duration/);
  });
});
