import { LeaseLostError, SpineError } from '../core/errors/spine-error';
import type { Fence, RunStatus, StepCommit } from '../core/store/run-record';
import type { LeaseHolder } from '../core/store/run-store.port';
import type { RunRow } from './row-mapping';
import { fromSqlDatetime } from './json-codec';
import type { SqlPlan } from './queue.sql';

/** One SQL statement and its values. */
export type Statement = readonly [sql: string, values: readonly unknown[]];

/** The values of one step commit: the step row, its checkpoint (completed steps only), the run's progress. */
export interface StepWrite {
  /** The run the step belongs to. */
  readonly runId: string;
  /** The claim the write is made under (a map item: its top-level run's); null for an unleased writer. */
  readonly fence: Fence | null;
  readonly step: readonly unknown[];
  readonly checkpoint: readonly unknown[] | null;
  /** executed, completed, failed, skipped, last completed step, updated at. */
  readonly progress: readonly unknown[];
}

/** What a fenced write found: the fence held and the statements ran (with their row counts), or it did not and nothing ran. */
export type FencedOutcome =
  | { readonly held: true; readonly cancelRequested: boolean; readonly changes: readonly number[] }
  | { readonly held: false; readonly holder: LeaseHolder | null };

/**
 * The transactions the run store needs, per driver: SQLite runs them synchronously on prepared
 * statements (BEGIN IMMEDIATE where a read decides a write), MySQL/MariaDB on a pooled connection
 * with the fenced run's row locked first.
 */
export interface RunWriter {
  /** Commits a step row, its checkpoint and the run's progress in one transaction, under the write's fence. */
  commitStep(write: StepWrite): StepCommit | Promise<StepCommit>;
  /**
   * Runs `statements` in one transaction if `fence` is still the claim of `fence.runId`, whose row
   * is locked first: exclusively when the statements update it (`updatesFencedRun`), else shared
   * (a map item's writes: items of one map commit side by side).
   */
  fenced(fence: Fence, statements: readonly Statement[], updatesFencedRun: boolean): Promise<FencedOutcome>;
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
