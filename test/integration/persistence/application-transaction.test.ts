import { runInTransaction } from 'spine-orchestration/typeorm';
import { serverDrivers, useTestDatabase } from '../../support/databases';

const later = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('runInTransaction on sqlite', () => {
  const db = useTestDatabase('sqlite');

  it("runs one transaction at a time on TypeORM's single connection, so one step's rollback never takes another's rows", async () => {
    const { dataSource } = db();
    await dataSource.query('CREATE TABLE app_rows (name TEXT)');
    const failing = runInTransaction(dataSource, async (manager) => {
      await manager.query("INSERT INTO app_rows (name) VALUES ('a')");
      await later();
      throw new Error('the first step fails after others started');
    });
    const committing = runInTransaction(dataSource, async (manager) => {
      await manager.query("INSERT INTO app_rows (name) VALUES ('c')");
      return 'c';
    });
    await expect(failing).rejects.toThrow('the first step fails');
    await expect(committing).resolves.toBe('c');
    expect(await dataSource.query('SELECT name FROM app_rows')).toEqual([{ name: 'c' }]);
  });
});

describe.each(serverDrivers())('runInTransaction on %s', (driver) => {
  const db = useTestDatabase(driver);

  it('runs in READ COMMITTED unless told otherwise: a commit made meanwhile is seen by the next read', async () => {
    const { dataSource } = db();
    await dataSource.query(`CREATE TABLE app_level (v INT)${driver === 'mariadb' ? ' ENGINE=InnoDB' : ''}`);
    await dataSource.query('INSERT INTO app_level (v) VALUES (1)');
    const reads = (isolation?: 'REPEATABLE READ') =>
      runInTransaction(
        dataSource,
        async (manager) => {
          const read = async () => Number(((await manager.query('SELECT v FROM app_level')) as { v: number }[])[0]!.v);
          const before = await read();
          await dataSource.query('UPDATE app_level SET v = v + 1'); // another pooled connection, autocommit
          return [before, await read()];
        },
        isolation === undefined ? {} : { isolation },
      );
    expect(await reads()).toEqual([1, 2]);
    expect(await reads('REPEATABLE READ')).toEqual([2, 2]);
  });

  it('runs a transaction again after a deadlock, and gives up on anything else at once', async () => {
    let attempts = 0;
    const result = await runInTransaction(db().dataSource, async () => {
      attempts++;
      if (attempts === 1) throw Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { errno: 1213 });
      return 'done';
    });
    expect([result, attempts]).toEqual(['done', 2]);
    attempts = 0;
    await expect(
      runInTransaction(db().dataSource, async () => {
        attempts++;
        throw Object.assign(new Error('Duplicate entry'), { errno: 1062 });
      }),
    ).rejects.toThrow('Duplicate entry');
    expect(attempts).toBe(1);
  });
});
