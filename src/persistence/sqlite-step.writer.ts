import { afterOpenTransaction, type SqliteDatabase } from './sql-client';
import { SQL } from './step.sql';

/** The values of one step commit: the step row, its checkpoint (completed steps only), the run's progress. */
export interface StepWrite {
  readonly step: readonly unknown[];
  readonly checkpoint: readonly unknown[] | null;
  readonly progress: readonly unknown[];
  /** The error to throw (rolling the transaction back) when the run's lease is held by another owner. */
  readonly fenced: () => Error;
}

/**
 * Writes a step commit on better-sqlite3 with prepared statements in one transaction, synchronously
 * (the connection TypeORM opened; better-sqlite3 runs one statement at a time, so nothing interleaves).
 * While the application has a transaction open on that connection, the commit waits for it to end.
 */
export class SqliteStepWriter {
  private commit: ((write: StepWrite) => void) | null = null;

  constructor(private readonly db: SqliteDatabase) {}

  write(write: StepWrite): void | Promise<void> {
    const open = afterOpenTransaction(this.db);
    if (open !== null) return open.then(() => this.write(write));
    if (this.commit === null) {
      const db = this.db;
      const insertStep = db.prepare(SQL.insertStep);
      const insertCheckpoint = db.prepare(SQL.insertCheckpoint);
      const updateProgress = db.prepare(SQL.updateProgress);
      this.commit = db.transaction((w: StepWrite) => {
        if (updateProgress.run(...w.progress).changes === 0) throw w.fenced();
        insertStep.run(...w.step);
        if (w.checkpoint !== null) insertCheckpoint.run(...w.checkpoint);
      });
    }
    this.commit(write);
  }
}
