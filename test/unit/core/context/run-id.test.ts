import { newRunId } from '../../../../src/core/context/run-id';
import { Step, Workflow, WorkflowRunner } from 'spine-orchestration';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('run ids', () => {
  it('are UUIDs of version 7 whose first 48 bits are the creation time in milliseconds', () => {
    const before = Date.now();
    const id = newRunId();
    const after = Date.now();
    expect(id).toMatch(V7);
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });

  it('are unique, and ids made in a later millisecond sort after earlier ones (runs started together sit together in indexes)', async () => {
    const ids = Array.from({ length: 50_000 }, newRunId);
    expect(new Set(ids).size).toBe(ids.length);
    const first = newRunId();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = newRunId();
    expect(later > first).toBe(true);
    // random bits differ within one millisecond (the pool is refilled as it runs out)
    expect(new Set(ids.map((id) => id.slice(15))).size).toBe(ids.length);
  });

  it('are what a run gets when none is given', async () => {
    const result = await new WorkflowRunner().execute(Workflow.define({ name: 'ids', steps: [Step.lambda('a', () => ({}))] }));
    expect(result.runId).toMatch(V7);
  });
});
