import { SpineError } from '../core/errors/spine-error';

/** What a group does when a step fails: stop starting steps, or go on with those that do not depend on it. */
export type FailureMode = 'stop' | 'continue';

/** How a v1 group's steps are run. Immutable. */
export class ExecutionPolicy {
  private constructor(
    readonly mode: 'sequential' | 'parallel',
    readonly maxConcurrency: number,
    readonly onFailure: FailureMode,
  ) {
    Object.freeze(this);
  }

  /** One step at a time, in dependency order. */
  static sequential(options: { onFailure?: FailureMode } = {}): ExecutionPolicy {
    return new ExecutionPolicy('sequential', 1, checkMode(options.onFailure ?? 'stop'));
  }

  /** Up to `maxConcurrency` steps at once, each as soon as its dependencies completed. */
  static parallel(maxConcurrency = 4, options: { onFailure?: FailureMode } = {}): ExecutionPolicy {
    if (!(Number.isInteger(maxConcurrency) && maxConcurrency >= 1)) {
      throw new SpineError('invalid-argument', `ExecutionPolicy.parallel: maxConcurrency must be a whole number ≥ 1 (got ${String(maxConcurrency)}).`);
    }
    return new ExecutionPolicy('parallel', maxConcurrency, checkMode(options.onFailure ?? 'stop'));
  }

  /** The same policy with another failure mode. */
  withOnFailure(onFailure: FailureMode): ExecutionPolicy {
    return new ExecutionPolicy(this.mode, this.maxConcurrency, checkMode(onFailure));
  }
}

function checkMode(mode: FailureMode): FailureMode {
  if (mode !== 'stop' && mode !== 'continue') {
    throw new SpineError('invalid-argument', `onFailure must be 'stop' or 'continue' (got ${JSON.stringify(mode)}).`);
  }
  return mode;
}
