import { TypeOrmRunStore } from '../../../src/persistence';
import { checkScheduleModel } from '../../fixtures/schedule-model';
import { testDrivers, useTestDatabase } from '../../support/databases';

describe.each(testDrivers())('schedules on %s (property-based, fast-check)', (driver) => {
  const database = useTestDatabase(driver);

  it('scheduler passes of three processes with stale reads, pauses, resumes and manual fires behave as the model: each fire time once, never while paused', async () => {
    const store = new TypeOrmRunStore(database().dataSource);
    await checkScheduleModel(() => store, driver === 'sqlite' ? 60 : 20);
  }, 120_000);
});
