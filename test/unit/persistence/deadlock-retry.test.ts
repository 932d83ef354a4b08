import { retryDeadlock } from '../../../src/persistence/deadlock-retry';

const serverError = (errno: number, wrapped: boolean): Error => Object.assign(new Error(`server error ${errno}`), wrapped ? { driverError: { errno } } : { errno });

describe('retryDeadlock', () => {
  it.each([
    [1213, true],
    [1205, false],
  ])('runs a statement again after MySQL error %d (wrapped by TypeORM: %s)', async (errno, wrapped) => {
    let calls = 0;
    const value = await retryDeadlock(async () => {
      if (++calls < 3) throw serverError(errno, wrapped);
      return 'done';
    });
    expect({ value, calls }).toEqual({ value: 'done', calls: 3 });
  });

  it.each(['40P01', '40001', '55P03'])('runs a transaction again after PostgreSQL SQLSTATE %s (deadlock, serialization failure, lock not available)', async (code) => {
    let calls = 0;
    const value = await retryDeadlock(async () => {
      if (++calls < 2) throw Object.assign(new Error(`pg ${code}`), { driverError: { code } });
      return 'done';
    });
    expect({ value, calls }).toEqual({ value: 'done', calls: 2 });
    calls = 0;
    // a unique violation is not a conflict to retry
    await expect(
      retryDeadlock(async () => {
        calls++;
        throw Object.assign(new Error('duplicate key'), { code: '23505' });
      }),
    ).rejects.toThrow('duplicate key');
    expect(calls).toBe(1);
  });

  it('gives up after 5 attempts with the last error, and never retries another error', async () => {
    let calls = 0;
    await expect(
      retryDeadlock(async () => {
        calls++;
        throw serverError(1213, true);
      }),
    ).rejects.toThrow('server error 1213');
    expect(calls).toBe(5);
    calls = 0;
    await expect(
      retryDeadlock(async () => {
        calls++;
        throw serverError(1062, true);
      }),
    ).rejects.toThrow('server error 1062');
    expect(calls).toBe(1);
  });
});
