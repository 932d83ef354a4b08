import { InMemoryRunStore } from 'spine-orchestration';
import { checkLeaseModel } from '../../../fixtures/lease-model';

describe('InMemoryRunStore claims, leases, fences, cancels and ends (property-based, fast-check)', () => {
  it('behaves as the model for random sequences of claims, renewals, stale and current writes, releases, cancels and finishes', async () => {
    await checkLeaseModel(() => new InMemoryRunStore(), 300);
  });
});
