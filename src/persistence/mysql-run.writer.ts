import type { DataSource, QueryRunner } from 'typeorm';
import type { Fence, StepCommit } from '../core/store/run-record';
import type { RunRow } from './row-mapping';
import { fenceHolds, holderOf, missingRun, staleWrite, type FencedOutcome, type RunWriter, type Statement, type StepWrite } from './run.writer';
import { TABLES } from './schema/entities';
import { SQL } from './step.sql';
import type { SqlPlan } from './queue.sql';
import { toSqlDatetime } from './json-codec';

/**
 * The run store's transactions on MySQL/MariaDB, each on a pooled connection of the DataSource.
 * A fenced write locks the fenced run's row first — exclusively when it updates that row, shared
 * when it writes a map item's rows (items of one map commit side by side) — so it is ordered
 * against any claim of the run: a claim committed first makes the write stale, a write committed
 * first is seen by the claimer.
 */
export class MysqlRunWriter implements RunWriter {
  constructor(private readonly dataSource: DataSource) {}

  commitStep(write: StepWrite): Promise<StepCommit> {
    return this.inTransaction(async (runner) => {
      let commit: StepCommit = 'recorded';
      const { fence, runId, progress } = write;
      const now = Date.now();
      const at = toSqlDatetime(now);
      if (fence === null) {
        if ((await affected(runner, SQL.progress, [...progress, runId])) === 0) throw missingRun(runId);
      } else if (fence.runId === runId) {
        // the run row's exclusive lock first: before the step insert's foreign-key check takes a
        // shared one (the other order deadlocks with a concurrent heartbeat)
        if ((await affected(runner, SQL.progressFenced, [...progress, runId, fence.epoch, at])) === 0) {
          const row = await lockedFenceRow(runner, fence, 'FOR UPDATE');
          if (!fenceHolds(row, fence, now)) throw staleWrite(runId, fence, row);
          if ((await affected(runner, SQL.progressFencedAnyway, [...progress, runId, fence.epoch, at])) === 0) throw missingRun(runId);
          commit = 'cancel-requested';
        }
      } else {
        const row = await lockedFenceRow(runner, fence, 'LOCK IN SHARE MODE');
        if (!fenceHolds(row, fence, now)) throw staleWrite(runId, fence, row);
        if (Number(row.cancel_requested)) commit = 'cancel-requested';
        if ((await affected(runner, SQL.progress, [...progress, runId])) === 0) throw missingRun(runId);
      }
      await runner.query(SQL.insertStep, [...write.step]);
      if (write.checkpoint !== null) await runner.query(SQL.insertCheckpoint, [...write.checkpoint]);
      return commit;
    });
  }

  fenced(fence: Fence, statements: readonly Statement[], updatesFencedRun: boolean): Promise<FencedOutcome> {
    return this.inTransaction(async (runner, rollback) => {
      const row = await lockedFenceRow(runner, fence, updatesFencedRun ? 'FOR UPDATE' : 'LOCK IN SHARE MODE');
      if (!fenceHolds(row, fence, Date.now())) {
        rollback();
        return { held: false, holder: holderOf(row) };
      }
      const changes: number[] = [];
      for (const [sql, values] of statements) changes.push(await affected(runner, sql, values));
      return { held: true, cancelRequested: Boolean(Number(row.cancel_requested)), changes };
    });
  }

  updateAndRead(update: Statement, runId: string): Promise<{ changed: number; row: RunRow | null }> {
    return this.inTransaction(async (runner) => {
      const changed = await affected(runner, update[0], update[1]);
      if (changed === 0) return { changed, row: null };
      const rows = (await runner.query(`SELECT * FROM ${TABLES.runs} WHERE run_id = ?`, [runId])) as RunRow[];
      return { changed, row: rows[0] ?? null };
    });
  }

  async plan<T>(makePlan: () => SqlPlan<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.inTransaction(async (runner) => {
          const plan = makePlan();
          let step = plan.next();
          while (step.done !== true) {
            const op = step.value;
            step = plan.next(op.kind === 'all' ? await runner.query(op.sql, [...op.values]) : await affected(runner, op.sql, op.values));
          }
          return step.value;
        }, 'READ COMMITTED');
      } catch (error) {
        const code = (error as { driverError?: { errno?: number }; errno?: number }).driverError?.errno ?? (error as { errno?: number }).errno;
        if (attempt >= 5 || (code !== 1213 && code !== 1205)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt * Math.random()));
      }
    }
  }

  /** Runs `work` in a transaction: committed unless it throws or asks for a rollback. */
  private async inTransaction<T>(work: (runner: QueryRunner, rollback: () => void) => Promise<T>, isolation?: 'READ COMMITTED'): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    let rollback = false;
    try {
      await runner.startTransaction(isolation);
      const result = await work(runner, () => void (rollback = true));
      if (rollback) await runner.rollbackTransaction();
      else await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }
}

async function affected(runner: QueryRunner, sql: string, values: readonly unknown[]): Promise<number> {
  const result = (await runner.query(sql, [...values], true)) as { affected?: number };
  return result.affected ?? 0;
}

async function lockedFenceRow(runner: QueryRunner, fence: Fence, lock: 'FOR UPDATE' | 'LOCK IN SHARE MODE'): Promise<RunRow | undefined> {
  const rows = (await runner.query(`${SQL.fenceRow} ${lock}`, [fence.runId])) as RunRow[];
  return rows[0];
}
