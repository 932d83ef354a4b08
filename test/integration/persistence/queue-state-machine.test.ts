import { TypeOrmRunStore } from '../../../src/persistence';
import { checkQueueModel } from '../../fixtures/queue-model';
import { testDrivers, useTestDatabase } from '../../support/databases';

describe.each(testDrivers())('TypeOrmRunStore queue claims on %s (property-based, fast-check)', (driver) => {
  const database = useTestDatabase(driver);

  it('behaves as the model for random sequences of enqueues, claims by three workers, finishes (completed, partial, cancelled, failed) and parks (current and stale fences), reclaims of ended runs refused, re-queues of failed and cancelled runs, within every limit', async () => {
    const store = new TypeOrmRunStore(database().dataSource);
    await checkQueueModel(() => store, driver === 'sqlite' ? 100 : 25);
  }, 120_000);
});
