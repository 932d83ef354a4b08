/** MySQL/MariaDB's "deadlock found" (1213) and "lock wait timeout exceeded" (1205): the server rolled the statement back, so it can simply run again. */
const RETRYABLE_ERRNOS = new Set([1213, 1205]);
/** Attempts in all before the error goes to the caller. */
const ATTEMPTS = 5;

/** The server's error number of a driver error (TypeORM wraps it in `driverError`). */
function errnoOf(error: unknown): number | undefined {
  return (error as { driverError?: { errno?: number }; errno?: number }).driverError?.errno ?? (error as { errno?: number }).errno;
}

/**
 * Runs `work` (a whole transaction, or one autocommit statement) again when MySQL/MariaDB reports
 * a deadlock or a lock wait timeout, up to 5 attempts with a short random pause between them; any
 * other error, and the last one, goes to the caller. SQLite never reports these numbers.
 */
export async function retryDeadlock<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const errno = errnoOf(error);
      if (attempt >= ATTEMPTS || errno === undefined || !RETRYABLE_ERRNOS.has(errno)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt * Math.random()));
    }
  }
}
