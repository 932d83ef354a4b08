import { SpineError } from '../../errors/spine-error';

/** A signal sent to a run: kept until a signal wait of the run consumes it (each signal once, oldest first). */
export interface SignalRecord {
  /** Increasing in the order signals were sent. */
  readonly signalId: number;
  readonly runId: string;
  readonly name: string;
  /** Any JSON value (null when none was given). */
  readonly payload: unknown;
  readonly sentAt: Date;
  /** The step execution that consumed it (`<run>:<step>:<iteration>`), once one did. */
  readonly consumedBy: string | null;
  readonly consumedAt: Date | null;
  /** The sender's id for this signal (`signal(…, { id })`): a retried send with the same id stores nothing new. */
  readonly dedupeId: string | null;
}

/** Checks a signal name given by a caller; throws naming `where`. */
export function checkSignalName(where: string, name: unknown): asserts name is string {
  if (!(typeof name === 'string' && name.length > 0 && name.length <= 255)) {
    throw new SpineError('invalid-argument', `${where}: a signal name must be a non-empty string of at most 255 characters (got ${JSON.stringify(name)}).`);
  }
}

/** Options of a signal send. */
export interface SignalOptions {
  /**
   * The sender's id for this signal (at most 255 characters): a retried send with the same id for
   * the same run stores nothing and returns the signal the first send stored.
   */
  readonly id?: string;
}

/** Checks a signal's dedupe id given by a caller (null when none); throws naming `where`. */
export function checkSignalId(where: string, id: unknown): string | null {
  if (id === undefined || id === null) return null;
  if (!(typeof id === 'string' && id.trim().length > 0 && id.length <= 255)) {
    throw new SpineError('invalid-argument', `${where}: a signal id must be a non-empty string of at most 255 characters (got ${JSON.stringify(id)}).`);
  }
  return id;
}

/** The output of the step that consumed a signal: its payload when that is an object, else `{ payload }`. */
export function signalOutput(payload: unknown): Readonly<Record<string, unknown>> {
  return payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : { payload };
}
