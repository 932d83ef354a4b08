import { InMemoryRunStore, LeaseLostError, Step, StepResult, Workflow, WorkflowContext, WorkflowRunner, type RunProgress, type RunStore, type StepRecord } from 'spine-orchestration';
import { TABLES, TypeOrmRunStore } from '../../../src/persistence';
import { newRun } from '../../fixtures/records';
import { testDrivers, useTestDatabase, type TestDatabase } from '../../support/databases';

const step = (runId: string, name: string): StepRecord => ({
  runId,
  stepName: name,
  stepType: 'lambda',
  iteration: 1,
  attempt: 1,
  status: 'completed',
  idempotencyKey: `${runId}:${name}:1`,
  startedAt: new Date(),
  finishedAt: new Date(),
  durationMs: 1,
  output: { name },
  contextUpdates: null,
  error: null,
  errorCategory: null,
  quality: null,
  nextStep: null,
});

const progress = (fence: RunProgress['fence']): RunProgress => ({
  status: 'running',
  executedSteps: 1,
  completedSteps: 1,
  failedSteps: 0,
  skippedSteps: 0,
  lastCompletedStep: 's1',
  fence,
  countersDue: false,
  snapshot: null,
});

describe.each(testDrivers())('the durable hot path on %s', (driver) => {
  const database = useTestDatabase(driver);
  let db: TestDatabase;
  beforeAll(() => {
    db = database();
  });

  it('commits step rows of several runs submitted in one tick together, each fenced on its own: a stale writer fails alone', async () => {
    const store = new TypeOrmRunStore(db.dataSource);
    const lease = { leaseOwner: 'A', leaseExpiresAt: new Date(Date.now() + 60_000) };
    const ids = [0, 1, 2, 3].map((i) => `group-${driver}-${i}-${Date.now()}`);
    for (const runId of ids) await store.createRun(newRun({ runId, ...lease }));
    // run 2 is claimed by another execution (its epoch moves on); run 3 is asked to cancel
    await db.dataSource.query(`UPDATE ${TABLES.runs} SET lease_epoch = 2, lease_owner = 'B' WHERE run_id = ?`, [ids[2]]);
    await store.requestCancel(ids[3]!);
    const commits = ids.map((runId) =>
      Promise.resolve(store.recordStep(step(runId, 's1'), progress({ runId, epoch: 1, owner: 'A' }))).then(
        (c) => c,
        (e: unknown) => e,
      ),
    );
    const outcomes = await Promise.all(commits);
    expect(outcomes.slice(0, 2)).toEqual(['recorded', 'recorded']);
    expect(outcomes[2]).toBeInstanceOf(LeaseLostError);
    expect((outcomes[2] as LeaseLostError).holder).toMatchObject({ owner: 'B', epoch: 2 });
    expect(outcomes[3]).toBe('cancel-requested');
    const recorded = await Promise.all(ids.map(async (id) => (await store.getRunSteps(id)).map((s) => s.stepName)));
    expect(recorded).toEqual([['s1'], ['s1'], [], ['s1']]);
  });

  it("keeps a step's rows in order within its run, however many runs write side by side", async () => {
    const store = new TypeOrmRunStore(db.dataSource);
    const wf = Workflow.define({ name: `order.${driver}`, steps: Array.from({ length: 12 }, (_, i) => Step.lambda(`s${i}`, () => ({ i }))) });
    const runner = new WorkflowRunner({ store });
    const results = await Promise.all(Array.from({ length: 8 }, () => runner.execute(wf)));
    for (const result of results) {
      expect(result.status).toBe('completed');
      expect((await store.getRunSteps(result.runId)).map((s) => s.stepName)).toEqual(wf.steps.map((s) => s.name));
    }
  });

  it('keeps context snapshots where the checkpoint strategy says, and getCheckpoint returns the context at that step', async () => {
    const store = new TypeOrmRunStore(db.dataSource);
    await expectCheckpoints(store);
  });

  it('writes the counters a long step held back within ~250 ms, so listings show where a run is', async () => {
    const store = new TypeOrmRunStore(db.dataSource);
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const wf = Workflow.define({ name: `counters.${driver}`, steps: [Step.lambda('quick', () => ({})), Step.lambda('long', () => held.then(() => ({})))] });
    const running = new WorkflowRunner({ store }).execute(wf);
    const started = Date.now();
    let seen = null as null | { lastCompletedStep: string | null; completedSteps: number };
    while (Date.now() - started < 2_000 && seen?.lastCompletedStep !== 'quick') {
      [seen = null] = await store.listRuns({ workflow: wf.name });
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toMatchObject({ lastCompletedStep: 'quick', completedSteps: 1 });
    expect(Date.now() - started).toBeLessThan(1_000);
    release();
    expect(await running).toMatchObject({ status: 'completed' });
    expect((await store.listRuns({ workflow: wf.name }))[0]).toMatchObject({ lastCompletedStep: 'long', completedSteps: 2, executedSteps: 2 });
  });
});

describe('the in-memory store', () => {
  it('keeps context snapshots by the same strategy', async () => {
    await expectCheckpoints(new InMemoryRunStore());
  });
});

/** Snapshots every 2 completed steps, at the step marked `checkpoint` and after a result that asks for one; getCheckpoint rebuilds the context from them. */
async function expectCheckpoints(store: RunStore): Promise<void> {
  const wf = Workflow.define({
    name: `snapshots.${store.constructor.name}`,
    checkpointEvery: 2,
    steps: [
      Step.lambda('a', () => ({ a: 1 })),
      Step.lambda('b', () => StepResult.ok({ b: 2 }, { contextUpdates: { seen: 'b' } })),
      Step.lambda('c', () => ({ c: 3 }), { checkpoint: true }),
      Step.lambda('d', () => ({ d: 4 })),
      // the design's StepResult.ok(output, checkpoint=True)
      Step.lambda('e', () => StepResult.ok({ e: 5 }, { checkpoint: true })),
    ],
  });
  const result = await new WorkflowRunner({ store }).execute(wf, { params: { week: '2026-11-27' } });
  expect(result.status).toBe('completed');
  const checkpoints = await store.listCheckpoints(result.runId);
  expect(checkpoints.map((c) => [c.stepName, c.executedSteps, c.hasContext])).toEqual([
    ['a', 1, false],
    ['b', 2, true],
    ['c', 3, true],
    ['d', 4, true],
    ['e', 5, true],
  ]);
  expect(await store.getCheckpoint!(result.runId, 'a')).toBeNull();
  const atC = await store.getCheckpoint!(result.runId, 'c');
  expect(atC).toMatchObject({ stepName: 'c', iteration: 1, executedSteps: 3, hasContext: true });
  const context = WorkflowContext.fromJSON(atC!.context);
  expect(context.getParam('week')).toBe('2026-11-27');
  expect(context.getParam('seen')).toBe('b');
  expect([context.getOutput('a', 'a'), context.getOutput('b', 'b'), context.getOutput('c', 'c')]).toEqual([1, 2, 3]);
  expect(context.getOutput('d', 'd', null)).toBeNull();
}
