import type { Fence } from '../records/run-record';
import type { SignalRecord } from '../records/signal-record';

/** Port: signals sent to runs: kept with the run, consumed once per step execution, and waking a run parked for them. */
export interface SignalStore {
  /**
   * Keeps a signal for a run that is not completed or cancelled (a failed or stopped run keeps it
   * for its resume), in one transaction with the run's row: a run parked waiting for this signal
   * (`waitingFor`, no owner) and not due yet is made due now, so a worker wakes it — once however
   * many signals come before it is claimed; a run parked for anything else is not woken. A
   * `dedupeId` the run has seen before stores nothing and returns that earlier signal. Throws `SpineError` 'unknown-run' / 'run-finished' naming
   * the run otherwise.
   */
  sendSignal(runId: string, name: string, payload: unknown, now: Date, dedupeId: string | null): Promise<SignalRecord>;
  /** The signals sent to a run, oldest first. */
  listSignals(runId: string): Promise<SignalRecord[]>;
  /**
   * Consumes the oldest signal `name` of the run not consumed yet, for the step execution
   * `consumer`, under `fence`; the one that execution consumed already if it did (a re-run of the
   * same step execution gets the same signal: each signal is consumed by one execution only).
   * Null when there is none.
   */
  consumeSignal(runId: string, name: string, consumer: string, fence: Fence | null, now: Date): Promise<SignalRecord | null>;
  /** Makes a parked run (waiting, no owner) due now (a signal came while it parked). */
  wakeRun(runId: string, now: Date): Promise<void>;
}
