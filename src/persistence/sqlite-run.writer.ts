import type { Fence, StepCommit } from '../core/store/run-record';
import type { RunRow } from './row-mapping';
import { fenceHolds, holderOf, missingRun, staleWrite, type FencedOutcome, type RunWriter, type Statement, type StepWrite } from './run.writer';
import { afterOpenTransaction, type SqliteClient, type SqliteDatabase, type SqliteStatement } from './sql-client';
import { TABLES } from './schema/entities';
import { SQL } from './step.sql';
import type { SqlPlan } from './queue.sql';
import { toSqlDatetime } from './json-codec';

/**
 * The run store's transactions on better-sqlite3, on the connection TypeORM opened: prepared
 * statements (cached by text), run synchronously, so a step commit completes without a promise.
 * better-sqlite3 runs one statement at a time, so nothing of this process interleaves; other
 * processes are kept out by SQLite's write lock (BEGIN IMMEDIATE where a read decides a write).
 * While the application has a transaction open on that connection, a write waits for it to end.
 */
export class SqliteRunWriter implements RunWriter {
  private commit: ((write: StepWrite) => StepCommit) | null = null;
  private readonly fencedTx: (fence: Fence, statements: readonly Statement[]) => FencedOutcome;
  private readonly claimTx: (update: Statement, runId: string) => { changed: number; row: RunRow | null };
  private readonly planTx: (plan: SqlPlan<unknown>) => unknown;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly client: SqliteClient,
  ) {
    this.fencedTx = db.transaction((fence: Fence, statements: readonly Statement[]): FencedOutcome => {
      const row = this.statement(SQL.fenceRow).get(fence.runId);
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

  commitStep(write: StepWrite): StepCommit | Promise<StepCommit> {
    const open = afterOpenTransaction(this.db);
    if (open !== null) return open.then(() => this.commitStep(write));
    this.commit ??= this.prepareCommit();
    return this.commit(write);
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

  private prepareCommit(): (write: StepWrite) => StepCommit {
    const insertStep = this.statement(SQL.insertStep);
    const insertCheckpoint = this.statement(SQL.insertCheckpoint);
    const fenceRow = this.statement(SQL.fenceRow);
    const own = [this.statement(SQL.progressFenced), this.statement(SQL.progressFencedAnyway)] as const;
    const item = [this.statement(SQL.progressItemFenced), this.statement(SQL.progressItemFencedAnyway)] as const;
    const unfenced = this.statement(SQL.progress);
    return this.db.transaction((w: StepWrite): StepCommit => {
      let commit: StepCommit = 'recorded';
      const { fence, runId, progress } = w;
      if (fence === null) {
        if (unfenced.run(...progress, runId).changes === 0) throw missingRun(runId);
      } else {
        const [fast, anyway] = fence.runId === runId ? own : item;
        const now = Date.now();
        const at = toSqlDatetime(now);
        const where = fence.runId === runId ? [runId, fence.epoch, at] : [runId, fence.runId, fence.epoch, at];
        if (fast.run(...progress, ...where).changes === 0) {
          // stale (or lapsed), or a cancel is pending: the fence row tells which
          const row = fenceRow.get(fence.runId);
          if (!fenceHolds(row, fence, now)) throw staleWrite(runId, fence, row);
          if (anyway.run(...progress, ...where).changes === 0) throw missingRun(runId);
          commit = 'cancel-requested';
        }
      }
      insertStep.run(...w.step);
      if (w.checkpoint !== null) insertCheckpoint.run(...w.checkpoint);
      return commit;
    });
  }

  private statement(sql: string): SqliteStatement {
    return this.client.prepared(sql);
  }
}
