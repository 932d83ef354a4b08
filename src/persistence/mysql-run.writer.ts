import { retryDeadlock } from './deadlock-retry';
import type { DataSource, QueryRunner } from 'typeorm';
import type { Fence, StepCommit } from '../core/store/records/run-record';
import type { LeaseHolder } from '../core/store/records/store-writes';
import type { RunRow } from './row-mapping';
import { fenceHolds, GroupCommit, holderOf, isForeignKeyError, missingRun, staleWrite, type FencedOutcome, type PendingRow, type RowWrite, type RunWriter, type Statement } from './run.writer';
import { TABLES } from './schema/entities';
import { FENCE_ROW, hotPathSql } from './step.sql';
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
  /** Up to four group commits in flight (each on its own pooled connection). */
  private readonly group = new GroupCommit((rows) => this.flush(rows), 4);
  private readonly sql = hotPathSql('mysql');

  constructor(
    private readonly dataSource: DataSource,
    /** The store's clock (epoch ms). */
    private readonly now: () => number,
  ) {}

  commitRow(write: RowWrite): Promise<StepCommit> {
    return this.group.submit(write);
  }

  /** One row: a single autocommit `INSERT … SELECT` when nothing else goes with it; several: one transaction. */
  private async flush(rows: readonly PendingRow[]): Promise<void> {
    if (rows.length === 1) {
      const [row] = rows as [PendingRow];
      await this.commitOne(row.write).then(row.resolve, row.reject);
      return;
    }
    let results: (StepCommit | { error: unknown })[];
    try {
      results = await retryDeadlock(() => this.inTransaction((runner) => this.commitGroup(runner, rows)));
    } catch {
      // one row broke the group (its run deleted under it, say): each on its own then
      for (const row of rows) await this.commitOne(row.write).then(row.resolve, row.reject);
      return;
    }
    for (const [i, row] of rows.entries()) {
      const result = results[i]!;
      if (typeof result === 'string') row.resolve(result);
      else row.reject(result.error);
    }
  }

  private async commitOne(w: RowWrite): Promise<StepCommit> {
    try {
      return await retryDeadlock(async () => {
        if (w.progress === null && w.snapshot === null) return this.insertOne(this.dataSource.createQueryRunner(), w, true);
        return this.inTransaction(async (runner) => {
          // the run row's exclusive lock first (its counters), before the insert's shared locks:
          // the other order deadlocks with a concurrent heartbeat
          if (w.progress !== null) await affected(runner, this.sql.progress, [...w.progress, w.runId]);
          const commit = await this.insertOne(runner, w, false);
          if (w.snapshot !== null) await affected(runner, this.sql.unfenced.snapshot, [...w.snapshot, w.runId]);
          return commit;
        });
      });
    } catch (error) {
      throw isForeignKeyError(error) ? missingRun(w.runId) : error;
    }
  }

  /** The fenced insert of one row on `runner` (released after when `release`). */
  private async insertOne(runner: QueryRunner, w: RowWrite, release: boolean): Promise<StepCommit> {
    try {
      const { fence, runId } = w;
      if (fence === null) {
        if ((await affected(runner, this.sql.unfenced[w.kind], [...w.values, runId])) === 0) throw missingRun(runId);
        return 'recorded';
      }
      const now = this.now();
      const where = [fence.runId, fence.epoch, toSqlDatetime(now)];
      if ((await affected(runner, this.sql.fenced[w.kind], [...w.values, ...where])) > 0) return 'recorded';
      const row = await lockedFenceRow(runner, fence, 'LOCK IN SHARE MODE');
      if (!fenceHolds(row, fence, now)) throw staleWrite(runId, fence, row);
      if ((await affected(runner, this.sql.fencedAnyway[w.kind], [...w.values, ...where])) === 0) {
        const again = await lockedFenceRow(runner, fence, 'LOCK IN SHARE MODE');
        throw fenceHolds(again, fence, this.now()) ? missingRun(runId) : staleWrite(runId, fence, again);
      }
      return 'cancel-requested';
    } finally {
      if (release) await runner.release();
    }
  }

  /**
   * A group in one transaction: the fence rows of every row locked and read in one statement,
   * then multi-row inserts of the rows whose fence held; the others are refused on their own.
   */
  private async commitGroup(runner: QueryRunner, rows: readonly PendingRow[]): Promise<(StepCommit | { error: unknown })[]> {
    const now = this.now();
    const fenceIds = [...new Set(rows.map(({ write }) => write.fence?.runId ?? write.runId))].sort();
    const fenceRows = new Map<string, RunRow>();
    for (const row of (await runner.query(`${FENCE_ROW.replace('run_id = ?', `run_id IN (${fenceIds.map(() => '?').join(', ')})`)} FOR UPDATE`, fenceIds)) as RunRow[]) {
      fenceRows.set(String(row.run_id), row);
    }
    const results: (StepCommit | { error: unknown })[] = [];
    const held: Record<'step' | 'item' | 'snapshot', (readonly unknown[])[]> = { step: [], item: [], snapshot: [] };
    const progress: RowWrite[] = [];
    for (const { write } of rows) {
      const { fence } = write;
      const row = fenceRows.get(fence?.runId ?? write.runId);
      if (fence === null ? row === undefined : !fenceHolds(row, fence, now)) {
        results.push({ error: fence === null ? missingRun(write.runId) : staleWrite(write.runId, fence, row) });
        continue;
      }
      results.push(fence !== null && Number(row!.cancel_requested) ? 'cancel-requested' : 'recorded');
      held[write.kind].push(write.values);
      if (write.snapshot !== null) held.snapshot.push(write.snapshot);
      if (write.progress !== null) progress.push(write);
    }
    for (const w of progress) await affected(runner, this.sql.progress, [...w.progress!, w.runId]);
    for (const kind of ['step', 'item', 'snapshot'] as const) {
      for (const chunk of byBytes(held[kind])) await runner.query(this.sql.multi(kind, chunk.length), chunk.flat());
    }
    return results;
  }

  fenced(fence: Fence, statements: readonly Statement[], updatesFencedRun: boolean): Promise<FencedOutcome> {
    return this.inTransaction(async (runner, rollback) => {
      const row = await lockedFenceRow(runner, fence, updatesFencedRun ? 'FOR UPDATE' : 'LOCK IN SHARE MODE');
      if (!fenceHolds(row, fence, this.now())) {
        rollback();
        return { held: false, holder: holderOf(row) };
      }
      const changes: number[] = [];
      for (const [sql, values] of statements) changes.push(await affected(runner, sql, values));
      return { held: true, cancelRequested: Boolean(Number(row.cancel_requested)), changes };
    });
  }

  fencedUpdate(fence: Fence, update: Statement, more: readonly Statement[]): Promise<{ held: true } | { held: false; holder: LeaseHolder | null }> {
    if (!/ WHERE run_id = \?$/.test(update[0]) || update[1][update[1].length - 1] !== fence.runId) {
      throw new Error(`fencedUpdate takes an UPDATE of the fenced run's row ending "WHERE run_id = ?" (got ${update[0]})`);
    }
    return this.inTransaction(async (runner, rollback) => {
      const now = this.now();
      // the row's exclusive lock and the fence in one statement; when it matched nothing, the fence row says why
      const changed = await affected(runner, `${update[0]} AND lease_epoch = ? AND (claim_queue IS NULL OR lease_expires_at > ?)`, [...update[1], fence.epoch, toSqlDatetime(now)]);
      if (changed === 0) {
        const row = await lockedFenceRow(runner, fence, 'FOR UPDATE');
        if (!fenceHolds(row, fence, now)) {
          rollback();
          return { held: false as const, holder: holderOf(row) };
        }
        await affected(runner, update[0], update[1]); // held (the values were the row's already): write it plainly
      }
      for (const [sql, values] of more) await affected(runner, sql, values);
      return { held: true as const };
    });
  }

  async write(statements: readonly Statement[]): Promise<readonly number[]> {
    if (statements.length === 1) {
      // one statement is atomic on its own: autocommit, one round trip (a new run's row)
      const runner = this.dataSource.createQueryRunner();
      try {
        return [await affected(runner, statements[0]![0], statements[0]![1])];
      } finally {
        await runner.release();
      }
    }
    return this.inTransaction(async (runner) => {
      const changes: number[] = [];
      for (const [sql, values] of statements) changes.push(await affected(runner, sql, values));
      return changes;
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

  plan<T>(makePlan: () => SqlPlan<T>): Promise<T> {
    return retryDeadlock(() =>
      this.inTransaction(async (runner) => {
        const plan = makePlan();
        let step = plan.next();
        while (step.done !== true) {
          const op = step.value;
          step = plan.next(op.kind === 'all' ? await runner.query(op.sql, [...op.values]) : await affected(runner, op.sql, op.values));
        }
        return step.value;
      }, 'READ COMMITTED'),
    );
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
  const rows = (await runner.query(`${FENCE_ROW} ${lock}`, [fence.runId])) as RunRow[];
  return rows[0];
}

/** Bytes of a multi-row insert's values at most (well under the default max_allowed_packet of 16 MiB): rows beyond go in the next statement. */
const GROUP_BYTES = 4 * 1024 * 1024;

/** Splits rows into chunks whose values stay under `GROUP_BYTES` (a larger row goes alone) and 200 rows. */
function byBytes(rows: readonly (readonly unknown[])[]): (readonly unknown[])[][] {
  const chunks: (readonly unknown[])[][] = [];
  let chunk: (readonly unknown[])[] = [];
  let bytes = 0;
  for (const row of rows) {
    let size = 64;
    for (const value of row) if (typeof value === 'string') size += 2 * value.length;
    if (chunk.length > 0 && (bytes + size > GROUP_BYTES || chunk.length >= 200)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
