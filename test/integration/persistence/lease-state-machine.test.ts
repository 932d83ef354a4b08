import { TypeOrmRunStore } from '../../../src/persistence';
import { checkLeaseModel } from '../../fixtures/lease-model';
import { testDrivers, useTestDatabase } from '../../support/databases';

describe.each(testDrivers())('TypeOrmRunStore claims, leases, fences, cancels and ends on %s (property-based, fast-check)', (driver) => {
  const database = useTestDatabase(driver);

  it('behaves as the model for random sequences of claims, renewals, stale and current writes, releases, cancels and finishes', async () => {
    const store = new TypeOrmRunStore(database().dataSource);
    await checkLeaseModel(() => store, driver === 'sqlite' ? 100 : 25);
  }, 120_000);
});
