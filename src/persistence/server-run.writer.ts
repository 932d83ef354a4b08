import { retryDeadlock } from './deadlock-retry';
import type { Fence, StepCommit } from '../core/store/records/run-record';
import type { LeaseHolder } from '../core/store/records/store-writes';
import type { RunRow } from './row-mapping';
import { fenceHolds, GroupCommit, holderOf, isForeignKeyError, missingRun, staleWrite, type FencedOutcome, type PendingRow, type RowWrite, type RunWriter, type Statement } from './run.writer';
import { TABLES, RUN_COLUMNS } from './schema/entities';
import { FENCE_ROW, hotPathSql } from './step.sql';
import type { SqlPlan } from './queue.sql';
import { toSqlDatetime } from './json-codec';
import type { SqlDialect } from './dialect';
import type { Session, Sessions } from './sessions';

/**
 * The run store's transactions on a database server (MySQL/MariaDB, PostgreSQL), each on a pooled
 * connection. A fenced write locks the fenced run's row first — exclusively when it updates that
 * row, shared when it writes a map item's rows (items of one map commit side by side) — so it is
 * ordered against any claim of the run: a claim committed first makes the write stale, a write
 * committed first is seen by the claimer. (A lone row's `INSERT … SELECT` takes that shared lock
 * itself: implicitly on MySQL, by `FOR SHARE` on PostgreSQL, whose plain reads take none.)
 */
export class ServerRunWriter implements RunWriter {
  /** Up to four group commits in flight (each on its own pooled connection). */
  private readonly group = new GroupCommit((rows) => this.flush(rows), 4);
  private readonly sql: ReturnType<typeof hotPathSql>;

  constructor(
    private readonly sessions: Sessions,
    private readonly dialect: SqlDialect,
    /** The store's clock (epoch ms). */
    private readonly now: () => number,
  ) {
    this.sql = hotPathSql(dialect.family);
  }

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
      results = await retryDeadlock(() => this.sessions.transaction((runner) => this.commitGroup(runner, rows)));
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
        if (w.progress === null && w.snapshot === null) return this.sessions.autocommit((session) => this.insertOne(session, w));
        return this.sessions.transaction(async (runner) => {
          // the run row's exclusive lock first (its counters), before the insert's shared locks:
          // the other order deadlocks with a concurrent heartbeat
          if (w.progress !== null) await runner.run(this.sql.progress, [...w.progress, w.runId]);
          const commit = await this.insertOne(runner, w);
          if (w.snapshot !== null) await runner.run(this.sql.unfenced.snapshot, [...w.snapshot, w.runId]);
          return commit;
        });
      });
    } catch (error) {
      throw isForeignKeyError(error) ? missingRun(w.runId) : error;
    }
  }

  /** The fenced insert of one row on `runner`. */
  private async insertOne(runner: Session, w: RowWrite): Promise<StepCommit> {
    const { fence, runId } = w;
    if (fence === null) {
      if ((await runner.run(this.sql.unfenced[w.kind], [...w.values, runId])) === 0) throw missingRun(runId);
      return 'recorded';
    }
    const now = this.now();
    const where = [fence.runId, fence.epoch, toSqlDatetime(now)];
    if ((await runner.run(this.sql.fenced[w.kind], [...w.values, ...where])) > 0) return 'recorded';
    const row = await this.lockedFenceRow(runner, fence, this.dialect.forShare);
    if (!fenceHolds(row, fence, now)) throw staleWrite(runId, fence, row);
    if ((await runner.run(this.sql.fencedAnyway[w.kind], [...w.values, ...where])) === 0) {
      const again = await this.lockedFenceRow(runner, fence, this.dialect.forShare);
      throw fenceHolds(again, fence, this.now()) ? missingRun(runId) : staleWrite(runId, fence, again);
    }
    return 'cancel-requested';
  }

  /**
   * A group in one transaction: the fence rows of every row locked and read in one statement,
   * then multi-row inserts of the rows whose fence held; the others are refused on their own.
   */
  private async commitGroup(runner: Session, rows: readonly PendingRow[]): Promise<(StepCommit | { error: unknown })[]> {
    const now = this.now();
    const fenceIds = [...new Set(rows.map(({ write }) => write.fence?.runId ?? write.runId))].sort();
    const fenceRows = new Map<string, RunRow>();
    for (const row of await runner.all(`${FENCE_ROW.replace('run_id = ?', `run_id IN (${fenceIds.map(() => '?').join(', ')})`)}${this.dialect.forUpdate}`, fenceIds)) {
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
    for (const w of progress) await runner.run(this.sql.progress, [...w.progress!, w.runId]);
    for (const kind of ['step', 'item', 'snapshot'] as const) {
      for (const chunk of byBytes(held[kind])) await runner.run(this.sql.multi(kind, chunk.length), chunk.flat());
    }
    return results;
  }

  fenced(fence: Fence, statements: readonly Statement[], updatesFencedRun: boolean): Promise<FencedOutcome> {
    return this.sessions.transaction(async (runner, rollback) => {
      const row = await this.lockedFenceRow(runner, fence, updatesFencedRun ? this.dialect.forUpdate : this.dialect.forShare);
      if (!fenceHolds(row, fence, this.now())) {
        rollback();
        return { held: false, holder: holderOf(row) };
      }
      const changes: number[] = [];
      for (const [sql, values] of statements) changes.push(await runner.run(sql, values));
      return { held: true, cancelRequested: Boolean(Number(row.cancel_requested)), changes };
    });
  }

  fencedUpdate(fence: Fence, update: Statement, more: readonly Statement[]): Promise<{ held: true } | { held: false; holder: LeaseHolder | null }> {
    if (!/ WHERE run_id = \?$/.test(update[0]) || update[1][update[1].length - 1] !== fence.runId) {
      throw new Error(`fencedUpdate takes an UPDATE of the fenced run's row ending "WHERE run_id = ?" (got ${update[0]})`);
    }
    return this.sessions.transaction(async (runner, rollback) => {
      const now = this.now();
      // the row's exclusive lock and the fence in one statement; when it matched nothing, the fence row says why
      const changed = await runner.run(`${update[0]} AND lease_epoch = ? AND (claim_queue IS NULL OR lease_expires_at > ?)`, [...update[1], fence.epoch, toSqlDatetime(now)]);
      if (changed === 0) {
        const row = await this.lockedFenceRow(runner, fence, this.dialect.forUpdate);
        if (!fenceHolds(row, fence, now)) {
          rollback();
          return { held: false as const, holder: holderOf(row) };
        }
        await runner.run(update[0], update[1]); // held (the values were the row's already): write it plainly
      }
      for (const [sql, values] of more) await runner.run(sql, values);
      return { held: true as const };
    });
  }

  async write(statements: readonly Statement[]): Promise<readonly number[]> {
    if (statements.length === 1) {
      // one statement is atomic on its own: autocommit, one round trip (a new run's row)
      const [sql, values] = statements[0]!;
      return this.sessions.autocommit(async (session) => [await session.run(sql, values)]);
    }
    return this.sessions.transaction(async (runner) => {
      const changes: number[] = [];
      for (const [sql, values] of statements) changes.push(await runner.run(sql, values));
      return changes;
    });
  }

  updateAndRead(update: Statement, runId: string): Promise<{ changed: number; row: RunRow | null }> {
    return this.sessions.transaction(async (runner) => {
      const changed = await runner.run(update[0], update[1]);
      if (changed === 0) return { changed, row: null };
      const rows = await runner.all(`SELECT ${RUN_COLUMNS} FROM ${TABLES.runs} WHERE run_id = ?`, [runId]);
      return { changed, row: rows[0] ?? null };
    });
  }

  plan<T>(makePlan: () => SqlPlan<T>): Promise<T> {
    return retryDeadlock(() =>
      this.sessions.transaction(async (runner) => {
        const plan = makePlan();
        let step = plan.next();
        while (step.done !== true) {
          const op = step.value;
          step = plan.next(op.kind === 'all' ? await runner.all(op.sql, op.values) : await runner.run(op.sql, op.values));
        }
        return step.value;
      }, 'READ COMMITTED'),
    );
  }

  private async lockedFenceRow(runner: Session, fence: Fence, lock: string): Promise<RunRow | undefined> {
    const rows = await runner.all(`${FENCE_ROW}${lock}`, [fence.runId]);
    return rows[0];
  }
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
