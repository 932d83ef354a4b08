import { ErrorCategory } from '../policy/error-category';
import { StepError } from './step-error';

/** The reason a step's signal is aborted when its `timeoutMs` runs out. */
export class StepTimeoutError extends StepError {
  constructor(step: string, timeoutMs: number) {
    super(`step "${step}" timed out after ${timeoutMs} ms`, ErrorCategory.TIMEOUT);
  }
}

/** The reason a step's signal is aborted when its run is cancelled. */
export class RunCancelledError extends StepError {
  constructor(reason?: unknown) {
    super(`run cancelled${reason instanceof Error && reason.message ? `: ${reason.message}` : typeof reason === 'string' ? `: ${reason}` : ''}`, ErrorCategory.INTERNAL);
  }
}

/**
 * The reason a map item's signal is aborted when its map step stops early (another item failed
 * past the tolerance, or could not be recorded): the item stops unfinished, not failed, and a
 * re-run of the map step runs it again.
 */
export class RunHaltedError extends StepError {
  constructor(reason: string) {
    super(`stopped early: ${reason}`, ErrorCategory.INTERNAL);
  }
}

/**
 * The reason a run's signal is aborted when the workflow's `timeoutMs` runs out: the running step
 * is aborted and the run fails with TIMEOUT (resumable).
 */
export class RunTimeoutError extends StepError {
  constructor(workflow: string, timeoutMs: number) {
    super(`run timed out: workflow "${workflow}" allows an execution ${timeoutMs} ms (timeoutMs)`, ErrorCategory.TIMEOUT);
  }
}
