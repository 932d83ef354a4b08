import { InMemoryRunStore } from 'spine-orchestration';
import { checkQueueModel } from '../../fixtures/queue-model';

describe('InMemoryRunStore queue claims (property-based, fast-check)', () => {
  it('behaves as the model for random sequences of enqueues, claims by three workers, finishes (completed, partial, cancelled, failed) and parks (current and stale fences), reclaims of ended runs refused, re-queues of failed and cancelled runs', async () => {
    const store = new InMemoryRunStore();
    await checkQueueModel(() => store, 300);
  }, 60_000);
});
