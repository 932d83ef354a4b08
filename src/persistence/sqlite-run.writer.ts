import type { Fence, StepCommit } from '../core/store/run-record';
import type { RunRow } from './row-mapping';
import { fenceHolds, GroupCommit, holderOf, isForeignKeyError, missingRun, staleWrite, type FencedOutcome, type PendingRow, type RowWrite, type RunWriter, type Statement } from './run.writer';
import { afterOpenTransaction, type SqliteClient, type SqliteDatabase, type SqliteStatement } from './sql-client';
import { TABLES } from './schema/entities';
import { FENCE_ROW, hotPathSql, type RowKind } from './step.sql';
import type { SqlPlan } from './queue.sql';
import { toSqlDatetime } from './json-codec';

/**
 * The run store's transactions on better-sqlite3, on the connection TypeORM opened: prepared
 * statements (cached by text), run synchronously. Rows of executions (steps, map items) submitted
 * in one tick commit in one BEGIN IMMEDIATE … COMMIT (group commit), each fenced on its own.
 * better-sqlite3 runs one statement at a time, so nothing of this process interleaves; other
 * processes are kept out by SQLite's write lock (BEGIN IMMEDIATE where a read decides a write).
 * While the application has a transaction open on that connection, a write waits for it to end.
 */
export class SqliteRunWriter implements RunWriter {
  private readonly group = new GroupCommit((rows) => this.flush(rows), 1);
  private commitGroup: ((rows: readonly PendingRow[]) => void) | null = null;
  private readonly fencedTx: (fence: Fence, statements: readonly Statement[]) => FencedOutcome;
  private readonly claimTx: (update: Statement, runId: string) => { changed: number; row: RunRow | null };
  private readonly planTx: (plan: SqlPlan<unknown>) => unknown;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly client: SqliteClient,
  ) {
    this.fencedTx = db.transaction((fence: Fence, statements: readonly Statement[]): FencedOutcome => {
      const row = this.statement(FENCE_ROW).get(fence.runId);
      if (!fenceHolds(row, fence, Date.now())) return { held: false, holder: holderOf(row) };
      const changes = statements.map(([sql, values]) => this.statement(sql).run(...values).changes);
      return { held: true, cancelRequested: Boolean(Number(row.cancel_requested)), changes };
    }).immediate;
    this.claimTx = db.transaction((update: Statement, runId: string) => {
      const changed = this.statement(update[0]).run(...update[1]).changes;
      const row = changed === 0 ? null : (this.statement(`SELECT * FROM ${TABLES.runs} WHERE run_id = ?`).get(runId) ?? null);
      return { changed, row };
    }).immediate;
    this.planTx = db.transaction((plan: SqlPlan<unknown>) => {
      let step = plan.next();
      while (step.done !== true) {
        const op = step.value;
        const statement = this.statement(op.sql);
        step = plan.next(op.kind === 'all' ? statement.all(...op.values) : statement.run(...op.values).changes);
      }
      return step.value;
    }).immediate;
  }

  async plan<T>(plan: () => SqlPlan<T>): Promise<T> {
    const open = afterOpenTransaction(this.db);
    if (open !== null) await open;
    return this.planTx(plan()) as T;
  }

  commitRow(write: RowWrite): Promise<StepCommit> {
    return this.group.submit(write);
  }

  async fenced(fence: Fence, statements: readonly Statement[]): Promise<FencedOutcome> {
    const open = afterOpenTransaction(this.db);
    if (open !== null) await open;
    return this.fencedTx(fence, statements);
  }

  async updateAndRead(update: Statement, runId: string): Promise<{ changed: number; row: RunRow | null }> {
    const open = afterOpenTransaction(this.db);
    if (open !== null) await open;
    return this.claimTx(update, runId);
  }

  /** One transaction for every row of the group; a row whose fence is stale is refused on its own. */
  private flush(rows: readonly PendingRow[]): Promise<void> | void {
    const open = afterOpenTransaction(this.db);
    if (open !== null) return open.then(() => this.flush(rows));
    this.commitGroup ??= this.prepareGroup();
    this.commitGroup(rows);
  }

  private prepareGroup(): (rows: readonly PendingRow[]) => void {
    const sql = hotPathSql('sqlite');
    const prepared = (texts: Record<RowKind, string>) => ({ step: this.statement(texts.step), item: this.statement(texts.item), snapshot: this.statement(texts.snapshot) });
    const fast = prepared(sql.fenced);
    const anyway = prepared(sql.fencedAnyway);
    const unfenced = prepared(sql.unfenced);
    const fenceRow = this.statement(FENCE_ROW);
    const progress = this.statement(sql.progress);
    const one = (w: RowWrite, now: number, at: string): StepCommit => {
      let commit: StepCommit = 'recorded';
      const { fence, runId } = w;
      try {
        if (fence === null) {
          if (unfenced[w.kind].run(...w.values, runId).changes === 0) throw missingRun(runId);
        } else if (fast[w.kind].run(...w.values, fence.runId, fence.epoch, at).changes === 0) {
          // stale (or lapsed), or a cancel is pending: the fence row tells which
          const row = fenceRow.get(fence.runId);
          if (!fenceHolds(row, fence, now)) throw staleWrite(runId, fence, row);
          if (anyway[w.kind].run(...w.values, fence.runId, fence.epoch, at).changes === 0) throw missingRun(runId);
          commit = 'cancel-requested';
        }
      } catch (error) {
        throw isForeignKeyError(error) ? missingRun(runId) : error;
      }
      if (w.progress !== null) progress.run(...w.progress, runId);
      if (w.snapshot !== null) unfenced.snapshot.run(...w.snapshot, runId);
      return commit;
    };
    const results: (StepCommit | { error: unknown })[] = [];
    const tx = this.db.transaction((group: readonly PendingRow[]) => {
      results.length = 0;
      const now = Date.now();
      const at = toSqlDatetime(now);
      for (const row of group) {
        try {
          results.push(one(row.write, now, at));
        } catch (error) {
          // a failed statement is undone on its own; a transaction SQLite rolled back fails the group
          if (!this.db.inTransaction) throw error;
          results.push({ error });
        }
      }
    }).immediate;
    return (group) => {
      tx(group);
      // settled once committed
      for (const [i, row] of group.entries()) {
        const result = results[i]!;
        if (typeof result === 'string') row.resolve(result);
        else row.reject(result.error);
      }
    };
  }

  private statement(sql: string): SqliteStatement {
    return this.client.prepared(sql);
  }
}
