import { InMemoryRunStore } from 'spine-orchestration';
import { checkQueueModel } from '../../fixtures/queue-model';

describe('InMemoryRunStore queue claims (property-based, fast-check)', () => {
  it('behaves as the model for random sequences of enqueues, claims by three workers, finishes (completed, partial, cancelled, failed) and parks (current and stale fences), reclaims of ended runs refused, re-queues of failed and cancelled runs', async () => {
    // a store per sequence: one shared by 300 sequences outgrows maxRuns and drops finished runs the model still checks
    await checkQueueModel(() => new InMemoryRunStore({ maxRuns: 100_000 }), 300);
  }, 60_000);
});
