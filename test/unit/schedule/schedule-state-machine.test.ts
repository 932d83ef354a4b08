import { InMemoryRunStore } from 'spine-orchestration';
import { checkScheduleModel } from '../../fixtures/schedule-model';

describe('schedules on the in-memory store (property-based, fast-check)', () => {
  it('scheduler passes of three processes with stale reads, pauses, resumes and manual fires behave as the model: each fire time once, never while paused', async () => {
    const store = new InMemoryRunStore({ maxRuns: 100_000 });
    await checkScheduleModel(() => store, 200);
  }, 60_000);
});
