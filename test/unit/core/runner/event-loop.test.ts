import { Step, Workflow, WorkflowRunner } from 'spine-orchestration';

/** Keeps the thread busy for about `ms`, as synchronous work does. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** Runs `work` while a 5 ms interval counts how often timers got their turn. */
async function timerTurnsDuring(work: () => Promise<unknown>): Promise<{ turns: number; ms: number }> {
  let turns = 0;
  const timer = setInterval(() => turns++, 5);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { turns, ms: performance.now() - started };
}

describe('the event loop during a long synchronous stretch', () => {
  it('gets its turn while thousands of synchronous map items run (heartbeats and cancels keep working)', async () => {
    const item = Workflow.define({ name: 'sync_item', steps: [Step.lambda('work', () => (spin(0.02), { ok: true }))] });
    const wf = Workflow.define({ name: 'many_sync_items', steps: [Step.map('items', { items: Array.from({ length: 15_000 }, (_, i) => i), iterator: item, maxConcurrency: 8 })] });
    const { turns, ms } = await timerTurnsDuring(() => new WorkflowRunner().execute(wf));
    expect(ms).toBeGreaterThan(200); // long enough that a starved loop would show
    expect(turns).toBeGreaterThanOrEqual(2);
  });

  it('gets its turn during a run of 5,000 synchronous steps', async () => {
    const wf = Workflow.define({ name: 'many_sync_steps', maxSteps: 5_001, steps: Array.from({ length: 5_000 }, (_, i) => Step.lambda(`s${i}`, () => (spin(0.05), { i }))) });
    const { turns, ms } = await timerTurnsDuring(() => new WorkflowRunner().execute(wf));
    expect(ms).toBeGreaterThan(200);
    expect(turns).toBeGreaterThanOrEqual(2);
  });
});
