import { LeaseLostError, SpineError } from '../core/errors/spine-error';
import type { Fence, RunStatus, StepCommit } from '../core/store/records/run-record';
import type { LeaseHolder } from '../core/store/records/store-writes';
import type { RunRow } from './row-mapping';
import { fromSqlDatetime } from './json-codec';
import type { SqlPlan } from './queue.sql';

/** One SQL statement and its values. */
export type Statement = readonly [sql: string, values: readonly unknown[]];

/**
 * One row of an execution to commit under its fence: a step row or a map item's row, with what
 * goes in the same transaction when the row does (the run's counters when they are due, a
 * context snapshot).
 */
export interface RowWrite {
  readonly kind: 'step' | 'item';
  /** The run the row belongs to. */
  readonly runId: string;
  /** The claim the write is made under (a map item: its top-level run's); null for an unleased writer. */
  readonly fence: Fence | null;
  /** The row's values, in the column order of its kind (`step.sql.ts`). */
  readonly values: readonly unknown[];
  /** executed, completed, failed, skipped, last completed step, updated at (run id appended by the writer); null when not due. */
  readonly progress: readonly unknown[] | null;
  /** A context snapshot row (`SNAPSHOT_COLUMNS`); null when the checkpoint strategy takes none here. */
  readonly snapshot: readonly unknown[] | null;
}

/** What a fenced write found: the fence held and the statements ran (with their row counts), or it did not and nothing ran. */
export type FencedOutcome = { readonly held: true; readonly cancelRequested: boolean; readonly changes: readonly number[] } | { readonly held: false; readonly holder: LeaseHolder | null };

/**
 * The transactions the run store needs, per driver: SQLite runs them synchronously on prepared
 * statements (BEGIN IMMEDIATE where a read decides a write), MySQL/MariaDB on a pooled connection
 * with the fenced run's row locked first.
 */
export interface RunWriter {
  /**
   * Commits a row under its fence. Rows submitted in the same tick (steps of concurrent runs, map
   * items) share one transaction — group commit — each still fenced on its own: a stale writer's
   * promise rejects with `LeaseLostError`, the others commit.
   */
  commitRow(write: RowWrite): Promise<StepCommit>;
  /**
   * Runs `statements` in one transaction if `fence` is still the claim of `fence.runId`, whose row
   * is locked first: exclusively when the statements update it (`updatesFencedRun`), else shared
   * (a map item's writes: items of one map commit side by side).
   */
  fenced(fence: Fence, statements: readonly Statement[], updatesFencedRun: boolean): Promise<FencedOutcome>;
  /**
   * Runs `update` — an UPDATE of the fenced run's own row ending `WHERE run_id = ?` — and then
   * `more` in one transaction if `fence` still holds; the update carries the fence itself (one
   * statement less than `fenced` on MySQL, where round trips cost). Nothing is written when stale.
   */
  fencedUpdate(fence: Fence, update: Statement, more: readonly Statement[]): Promise<{ readonly held: true } | { readonly held: false; readonly holder: LeaseHolder | null }>;
  /** Runs `statements` in one transaction without a fence (an unleased writer, a new top-level run); their row counts. */
  write(statements: readonly Statement[]): Promise<readonly number[]>;
  /** Runs `update` (a claim) and reads the run's row back in the same transaction; null row when the update matched nothing. */
  updateAndRead(update: Statement, runId: string): Promise<{ readonly changed: number; readonly row: RunRow | null }>;
  /**
   * Runs a plan's statements in one transaction (SQLite: BEGIN IMMEDIATE; MySQL: READ COMMITTED,
   * so each statement sees the latest commits, retried with a fresh plan after a deadlock).
   */
  plan<T>(plan: () => SqlPlan<T>): Promise<T>;
}

/** Who holds a run, from its fence row (null when the run is gone). */
export function holderOf(row: RunRow | null | undefined): LeaseHolder | null {
  if (row === null || row === undefined) return null;
  return { owner: row.lease_owner === null ? null : String(row.lease_owner), epoch: Number(row.lease_epoch), status: String(row.status) as RunStatus };
}

/** The error a stale writer gets. */
export function staleWrite(runId: string, fence: Fence, row: RunRow | null | undefined): LeaseLostError {
  return new LeaseLostError(runId, fence, holderOf(row));
}

/** A step commit whose run row is not there at all. */
export function missingRun(runId: string): SpineError {
  return new SpineError('unknown-run', `Run "${runId}" is not in the run store (deleted while it ran?); its step could not be recorded.`);
}

/**
 * True when a fence row shows the claim `fence` made still holding at `now` (and so the cancel
 * flag is what stopped a write): the same epoch, and for a queue run a lease that has not lapsed
 * (its slot in the queue's limits may be another run's by then: the execution writes nothing more).
 */
export function fenceHolds(row: RunRow | null | undefined, fence: Fence, now: number): row is RunRow {
  if (row === null || row === undefined || Number(row.lease_epoch) !== fence.epoch) return false;
  if (row.claim_queue === null || row.claim_queue === undefined || row.lease_owner === null) return true;
  const expires = fromSqlDatetime(row.lease_expires_at);
  return expires === null || expires.getTime() > now;
}

/** A write waiting for its group's commit. */
export interface Pending<W, R> {
  readonly write: W;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/** A row waiting for its group's commit. */
export type PendingRow = Pending<RowWrite, StepCommit>;

/**
 * Group commit: rows submitted in one tick — every run and map item whose step finished before
 * the event loop moves on — are handed to `flush` together (it commits them in one transaction
 * and settles each row's promise). At most `parallel` flushes are in flight; rows submitted
 * meanwhile wait for the next one, so a slow commit gathers a larger group.
 */
export class GroupCommit<W = RowWrite, R = StepCommit> {
  private pending: Pending<W, R>[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(
    private readonly flush: (rows: readonly Pending<W, R>[]) => Promise<void> | void,
    private readonly parallel: number,
  ) {}

  submit(write: W): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ write, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.parallel || this.pending.length === 0) return;
    this.scheduled = true;
    // after the promise jobs queued now: steps finishing in this tick join the group
    process.nextTick(this.drain);
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    if (this.inFlight >= this.parallel || this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    this.inFlight++;
    const failAll = (error: unknown): void => {
      for (const row of rows) row.reject(error);
    };
    const done = (): void => {
      this.inFlight--;
      this.schedule();
    };
    let flushed: Promise<void> | void;
    try {
      flushed = this.flush(rows);
    } catch (error) {
      failAll(error);
      done();
      return;
    }
    if (flushed === undefined) done();
    else flushed.catch(failAll).finally(done);
  };
}

/** A row whose run is gone (a map item's run deleted while it ran). */
export function isForeignKeyError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const errno = (error as { errno?: unknown; driverError?: { errno?: unknown } } | null)?.errno ?? (error as { driverError?: { errno?: unknown } } | null)?.driverError?.errno;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || errno === 1452;
}
