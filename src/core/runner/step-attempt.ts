import type { WorkflowContext } from '../context/workflow-context';
import type { RunScope, StepDefinition, StepRuntime } from '../definition/step-definition';
import { categoryOf, messageOf } from '../errors/step-error';
import { endsExecution } from '../errors/spine-error';
import { RunHaltedError, RunTimeoutError, StepTimeoutError } from '../errors/step-timeout.error';
import { setMaxListeners } from 'node:events';
import { StepResult } from '../result/step-result';
import { runStepAttempt } from './step-handlers';
import type { StepEnvironment } from './step-environment';
import type { StepInvocation, StepMiddleware } from './step-middleware';
import { toMiddlewareResult } from './step-outcome';
import { isThenable } from './thenable';

/** What an attempt needs of its run besides the step environment. */
export interface AttemptEnvironment extends StepEnvironment {
  readonly workflowName: string;
  /** Aborted when the run is cancelled (never, for runs that cannot be). */
  readonly runSignal: AbortSignal;
  /** True when an aborted step's attempt must end at once (raced against its signal), not when the step returns. */
  readonly cancellable: boolean;
  readonly middleware: readonly StepMiddleware[];
  readonly scope: RunScope;
  /**
   * A step whose attempt ended at its deadline (its own timeout, the run's) returned afterwards:
   * its result is not taken (the attempt was recorded failed with TIMEOUT); this records that it came.
   */
  lateResult(step: StepDefinition, attempt: number, iteration: number, outcome: 'completed' | 'failed', deadline: unknown): void;
}

/** One attempt of one step (a new object per attempt only on the guarded path). */
interface AttemptRequest {
  readonly step: StepDefinition;
  readonly ctx: WorkflowContext;
  readonly attempt: number;
  readonly iteration: number;
  readonly idempotencyKey: string;
  readonly timeoutMs: number | null;
}

/** A thrown error as a failed result; errors that end the execution (a lost claim, a failed store) are passed on. */
const toFailure = (error: unknown): StepResult => {
  if (endsExecution(error)) throw error;
  return StepResult.fail(messageOf(error), { category: categoryOf(error) });
};

/**
 * Runs one attempt: middleware around the step's handler, its timeout and the run's cancellation.
 * A thrown error becomes a failed result. Synchronous steps with nothing to guard stay synchronous.
 */
export function attemptStep(
  env: AttemptEnvironment,
  step: StepDefinition,
  ctx: WorkflowContext,
  attempt: number,
  iteration: number,
  idempotencyKey: string,
  timeoutMs: number | null,
): StepResult | Promise<StepResult> {
  if (timeoutMs === null && !env.cancellable && env.middleware.length === 0) {
    const runtime: StepRuntime = { signal: env.runSignal, attempt, idempotencyKey, scope: env.scope, epoch: env.epoch };
    try {
      const result = runStepAttempt(step, ctx, runtime, env);
      return isThenable(result) ? Promise.resolve(result).then(undefined, toFailure) : result;
    } catch (error) {
      return toFailure(error);
    }
  }
  return guardedAttempt(env, { step, ctx, attempt, iteration, idempotencyKey, timeoutMs });
}

async function guardedAttempt(env: AttemptEnvironment, request: AttemptRequest): Promise<StepResult> {
  const { step, ctx, attempt, iteration, idempotencyKey, timeoutMs } = request;
  const { runSignal, middleware } = env;
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const runtime: StepRuntime = { signal: controller.signal, attempt, idempotencyKey, scope: env.scope, epoch: env.epoch };
  const invoke = async (): Promise<StepResult> => runStepAttempt(step, ctx, runtime, env);
  const call =
    middleware.length === 0
      ? invoke
      : () => {
          const info: StepInvocation = {
            runId: env.runId,
            workflow: env.workflowName,
            name: step.name,
            type: step.type,
            attempt,
            iteration,
            idempotencyKey,
            definition: step,
          };
          const through = (k: number): Promise<StepResult> => (k === middleware.length ? invoke() : Promise.resolve(middleware[k]!(info, ctx, () => through(k + 1))));
          return through(0).then(toMiddlewareResult);
        };

  const onRunAbort = (): void => controller.abort(runSignal.reason);
  if (runSignal.aborted) onRunAbort();
  else runSignal.addEventListener('abort', onRunAbort, { once: true });
  const cancelTimer = timeoutMs === null ? null : env.clock.setTimer(timeoutMs, () => controller.abort(new StepTimeoutError(step.name, timeoutMs)));
  const aborted = new Promise<never>((_, reject) => {
    const signal = controller.signal;
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  const running = call();
  try {
    return await Promise.race([running, aborted]);
  } catch (error) {
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
    // a map item halted because its map failed: its step's work ends before the map reports the
    // failure, so a resume never overlaps it (a timeout or a cancel does not wait)
    if (reason instanceof RunHaltedError) await Promise.resolve(running).catch(() => undefined);
    // past a deadline: the step's result, if it ever comes, is refused (this attempt is over) and said to have come
    else if (reason instanceof StepTimeoutError || reason instanceof RunTimeoutError) {
      Promise.resolve(running).then(
        (late) => env.lateResult(step, attempt, iteration, late.success ? 'completed' : 'failed', reason),
        () => env.lateResult(step, attempt, iteration, 'failed', reason),
      );
    }
    return toFailure(reason);
  } finally {
    cancelTimer?.();
    runSignal.removeEventListener('abort', onRunAbort);
  }
}
