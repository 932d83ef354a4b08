/** MySQL/MariaDB's "deadlock found" (1213) and "lock wait timeout exceeded" (1205): the server rolled the statement back, so it can simply run again. */
const RETRYABLE_ERRNOS = new Set([1213, 1205]);
/** PostgreSQL's deadlock_detected (40P01), serialization_failure (40001) and lock_not_available (55P03): the transaction is aborted whole. */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001', '55P03']);
/** Attempts in all before the error goes to the caller. */
const ATTEMPTS = 5;

/**
 * True when a driver error (TypeORM wraps it in `driverError`) says the server rolled the work
 * back because of another transaction — a deadlock, a lock wait timeout, a serialization
 * failure — so running it again is safe. SQLite never reports these.
 */
export function isRetryableConflict(error: unknown): boolean {
  const e = error as { driverError?: { errno?: unknown; code?: unknown }; errno?: unknown; code?: unknown } | null;
  const errno = e?.driverError?.errno ?? e?.errno;
  if (typeof errno === 'number' && RETRYABLE_ERRNOS.has(errno)) return true;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' && RETRYABLE_SQLSTATES.has(code);
}

/**
 * Runs `work` (a whole transaction, or one autocommit statement) again when the server reports a
 * deadlock, a lock wait timeout or a serialization failure, up to 5 attempts with a short random
 * pause between them; any other error, and the last one, goes to the caller.
 */
export async function retryDeadlock<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= ATTEMPTS || !isRetryableConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt * Math.random()));
    }
  }
}
