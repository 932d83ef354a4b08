import 'reflect-metadata';
import { Spine, Step, Workflow } from 'spine-orchestration';
import { useTestDatabase } from '../../support/databases';

describe('TypeOrmRunStore on SQLite, sharing its connection with the application', () => {
  const db = useTestDatabase('sqlite');

  it("waits for a transaction the application has open, so rolling the application's work back keeps the run's records", async () => {
    const { dataSource } = db();
    await dataSource.query('CREATE TABLE app_rows (x INTEGER)');
    const spine = await Spine.create({
      database: dataSource,
      recoverOnStart: false,
      workflows: [Workflow.define({ name: 'shared.conn', steps: [Step.lambda('one', () => ({ a: 1 })), Step.lambda('two', () => ({ b: 2 }))] })],
    });
    try {
      // an application's transaction, open across awaits (as TypeORM's transaction() keeps it)
      const app = dataSource.createQueryRunner();
      await app.startTransaction();
      await app.query('INSERT INTO app_rows (x) VALUES (1)');
      const running = spine.run('shared.conn');
      await new Promise((resolve) => setTimeout(resolve, 30));
      await app.query('INSERT INTO app_rows (x) VALUES (2)');
      await app.rollbackTransaction();
      await app.release();

      const result = await running;
      expect(result.status).toBe('completed');
      expect((await spine.getRun(result.runId))?.status).toBe('completed');
      expect((await spine.getRunSteps(result.runId)).map((s) => s.stepName)).toEqual(['one', 'two']);
      expect(await dataSource.query('SELECT COUNT(*) AS n FROM app_rows')).toEqual([{ n: 0 }]);
    } finally {
      await spine.close();
    }
  });
});
