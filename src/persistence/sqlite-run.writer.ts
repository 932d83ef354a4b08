import type { Fence, StepCommit } from '../core/store/records/run-record';
import type { LeaseHolder } from '../core/store/records/store-writes';
import type { RunRow } from './row-mapping';
import { fenceHolds, GroupCommit, holderOf, isForeignKeyError, missingRun, staleWrite, type FencedOutcome, type Pending, type RowWrite, type RunWriter, type Statement } from './run.writer';
import { afterOpenTransaction, type SqliteClient, type SqliteDatabase, type SqliteStatement } from './sql-client';
import { TABLES, RUN_COLUMNS } from './schema/entities';
import { FENCE_ROW, hotPathSql, type RowKind } from './step.sql';
import type { SqlPlan } from './queue.sql';
import { toSqlDatetime } from './json-codec';

/** Statements to run under a fence (null: unfenced) in a group's transaction. */
interface StatementsJob {
  readonly fence: Fence | null;
  readonly statements: readonly Statement[];
}

/** What the SQLite group commit takes: a row of an execution, or statements under a fence. */
type Job = { readonly row: RowWrite } | StatementsJob;

/**
 * The run store's transactions on better-sqlite3, on the connection TypeORM opened: prepared
 * statements (cached by text), run synchronously. Rows of executions (steps, map items) and the
 * fenced writes of runs (create, finish, events) submitted in one tick commit in one BEGIN
 * IMMEDIATE … COMMIT (group commit), each fenced on its own.
 * better-sqlite3 runs one statement at a time, so nothing of this process interleaves; other
 * processes are kept out by SQLite's write lock (BEGIN IMMEDIATE where a read decides a write).
 * While the application has a transaction open on that connection, a write waits for it to end.
 */
export class SqliteRunWriter implements RunWriter {
  private readonly group = new GroupCommit<Job, StepCommit | FencedOutcome>((jobs) => this.flush(jobs), 1);
  private commitGroup: ((jobs: readonly Pending<Job, StepCommit | FencedOutcome>[]) => void) | null = null;
  private readonly claimTx: (update: Statement, runId: string) => { changed: number; row: RunRow | null };
  private readonly planTx: (plan: SqlPlan<unknown>) => unknown;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly client: SqliteClient,
    /** The store's clock (epoch ms). */
    private readonly now: () => number,
  ) {
    this.claimTx = db.transaction((update: Statement, runId: string) => {
      const changed = this.statement(update[0]).run(...update[1]).changes;
      const row = changed === 0 ? null : (this.statement(`SELECT ${RUN_COLUMNS} FROM ${TABLES.runs} WHERE run_id = ?`).get(runId) ?? null);
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
    return this.group.submit({ row: write }) as Promise<StepCommit>;
  }

  /** Joins the group commit: statements of runs starting and finishing in one tick share a transaction too. */
  fenced(fence: Fence | null, statements: readonly Statement[]): Promise<FencedOutcome> {
    return this.group.submit({ fence, statements }) as Promise<FencedOutcome>;
  }

  async fencedUpdate(fence: Fence, update: Statement, more: readonly Statement[]): Promise<{ held: true } | { held: false; holder: LeaseHolder | null }> {
    const outcome = await this.fenced(fence, [update, ...more]);
    return outcome.held ? { held: true } : { held: false, holder: outcome.holder };
  }

  async write(statements: readonly Statement[]): Promise<readonly number[]> {
    const outcome = (await this.group.submit({ fence: null, statements })) as FencedOutcome;
    return outcome.held ? outcome.changes : [];
  }

  async updateAndRead(update: Statement, runId: string): Promise<{ changed: number; row: RunRow | null }> {
    const open = afterOpenTransaction(this.db);
    if (open !== null) await open;
    return this.claimTx(update, runId);
  }

  /** One transaction for every write of the group; a write whose fence is stale is refused on its own. */
  private flush(jobs: readonly Pending<Job, StepCommit | FencedOutcome>[]): Promise<void> | void {
    const open = afterOpenTransaction(this.db);
    if (open !== null) return open.then(() => this.flush(jobs));
    this.commitGroup ??= this.prepareGroup();
    this.commitGroup(jobs);
  }

  private prepareGroup(): (jobs: readonly Pending<Job, StepCommit | FencedOutcome>[]) => void {
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
      // a step row's sequence in its run is computed from its run id
      const values = w.kind === 'step' ? [...w.values, runId] : w.values;
      try {
        if (fence === null) {
          if (unfenced[w.kind].run(...values, runId).changes === 0) throw missingRun(runId);
        } else if (fast[w.kind].run(...values, fence.runId, fence.epoch, at).changes === 0) {
          // stale (or lapsed), or a cancel is pending: the fence row tells which
          const row = fenceRow.get(fence.runId);
          if (!fenceHolds(row, fence, now)) throw staleWrite(runId, fence, row);
          if (anyway[w.kind].run(...values, fence.runId, fence.epoch, at).changes === 0) throw missingRun(runId);
          commit = 'cancel-requested';
        }
      } catch (error) {
        throw isForeignKeyError(error) ? missingRun(runId) : error;
      }
      if (w.progress !== null) progress.run(...w.progress, runId);
      if (w.snapshot !== null) unfenced.snapshot.run(...w.snapshot, runId);
      return commit;
    };
    // a job's statements all or none: a savepoint of their own inside the group's transaction
    const statements = this.db.transaction((job: StatementsJob, now: number): FencedOutcome => {
      let cancelRequested = false;
      if (job.fence !== null) {
        const row = fenceRow.get(job.fence.runId);
        if (!fenceHolds(row, job.fence, now)) return { held: false, holder: holderOf(row) };
        cancelRequested = Boolean(Number(row.cancel_requested));
      }
      const changes = job.statements.map(([sql, values]) => this.statement(sql).run(...values).changes);
      return { held: true, cancelRequested, changes };
    });
    const results: (StepCommit | FencedOutcome | { error: unknown })[] = [];
    const tx = this.db.transaction((group: readonly Pending<Job, StepCommit | FencedOutcome>[]) => {
      results.length = 0;
      const now = this.now();
      const at = toSqlDatetime(now);
      for (const { write: job } of group) {
        try {
          results.push('row' in job ? one(job.row, now, at) : statements(job, now));
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
      for (const [i, job] of group.entries()) {
        const result = results[i]!;
        if (typeof result === 'object' && 'error' in result) job.reject(result.error);
        else job.resolve(result);
      }
    };
  }

  private statement(sql: string): SqliteStatement {
    return this.client.prepared(sql);
  }
}
