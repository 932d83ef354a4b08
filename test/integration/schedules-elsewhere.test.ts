import { Spine, Step, Workflow } from 'spine-orchestration';
import { testDrivers, useTestDatabase } from '../support/databases';

jest.setTimeout(30_000);

const report = Workflow.define({ name: 'elsewhere.report', steps: [Step.lambda('send', () => ({ sent: true }))] });
const quiet = { warn: () => undefined, error: () => undefined, info: () => undefined };

describe.each(testDrivers())('a schedule another process declares (%s)', (driver) => {
  const database = useTestDatabase(driver);

  it('is listed from the declaration the database records, paused and resumed from a process with only the database; firing it is left to its own process, said so', async () => {
    const application = await Spine.create({
      database: database().dataSource,
      workflows: [report],
      schedules: [{ workflow: 'elsewhere.report', cron: '0 18 * * FRI', timezone: 'America/New_York', name: 'elsewhere.fridays', description: 'Fridays at six', params: () => ({}) }],
      recoverOnStart: false,
      logger: quiet,
    });
    const operator = await Spine.create({ database: database().dataSource, workflows: [], recoverOnStart: false, logger: quiet });
    try {
      const [listed] = (await operator.listSchedules()).filter((s) => s.name === 'elsewhere.fridays');
      expect(listed).toMatchObject({
        workflow: 'elsewhere.report',
        cron: '0 18 * * FRI',
        timezone: 'America/New_York',
        catchUp: 'latest',
        description: 'Fridays at six',
        paused: false,
        declaredHere: false,
      });
      expect(listed!.nextFireTimes).toEqual((await application.listSchedules()).find((s) => s.name === 'elsewhere.fridays')!.nextFireTimes);
      expect((await application.listSchedules()).find((s) => s.name === 'elsewhere.fridays')!.declaredHere).toBe(true);
      expect((await operator.pauseSchedule('elsewhere.fridays')).paused).toBe(true);
      expect((await application.listSchedules()).find((s) => s.name === 'elsewhere.fridays')!.paused).toBe(true);
      expect((await operator.resumeSchedule('elsewhere.fridays')).paused).toBe(false);
      await expect(operator.triggerSchedule('elsewhere.fridays')).rejects.toThrow(/declared by another process .*fire it where it is declared/);
      await expect(operator.backfill('elsewhere.fridays', { from: '2026-10-01', to: '2026-10-31', dryRun: true })).rejects.toThrow(/backfill it where it is declared/);
      await expect(operator.pauseSchedule('elsewhere.nope')).rejects.toThrow('Schedule "elsewhere.nope" is not declared in this application.');
    } finally {
      await operator.close();
      await application.close();
    }
  });
});
