import type { WorkflowContext } from '../context/workflow-context';
import { isRecord } from '../context/safe-values';
import type { ChoiceStepDefinition, LambdaStepDefinition, PipelineStepDefinition, StepDefinition, StepRuntime, WaitStepDefinition } from '../definition/step-definition';
import { ErrorCategory } from '../policy/error-category';
import { StepResult } from '../result/step-result';
import { mapStepHandler } from './map-step.handler';
import { signalOutput } from '../store/records/signal-record';
import { isThenable } from './thenable';
import { YIELDED } from './yielded.result';
import type { StepEnvironment, StepHandler } from './step-environment';

/** A lambda's return value as a result: results as they are, plain values as the output. */
export function toLambdaResult(value: unknown): StepResult {
  return value instanceof StepResult ? value : StepResult.ok(value);
}

/** Synchronous lambdas stay synchronous: no promise is made for them. */
const lambda: StepHandler<LambdaStepDefinition> = (step, ctx, runtime) => {
  const value = step.handler(ctx, step.config, runtime);
  return isThenable(value) ? Promise.resolve(value).then(toLambdaResult) : toLambdaResult(value);
};

const pipeline: StepHandler<PipelineStepDefinition> = async (step, ctx, runtime, env) => {
  const extra = step.paramsFrom === null ? undefined : await step.paramsFrom(ctx, runtime);
  if (extra !== undefined && extra !== null && !isRecord(extra)) {
    return StepResult.fail(`paramsFrom of step "${step.name}" must return an object or nothing`, {
      category: ErrorCategory.CONFIGURATION,
    });
  }
  const params = Object.freeze({ ...ctx.params, ...step.params, ...(extra ?? {}) });
  if (env.dryRun) return StepResult.ok({ dryRun: true, pipeline: step.pipeline, params });
  return env.dispatcher.dispatch({ ...runtime, pipeline: step.pipeline, params, context: ctx });
};

const choice: StepHandler<ChoiceStepDefinition> = async (step, ctx, runtime) => {
  const condition = Boolean(await step.when(ctx, runtime));
  const target = condition ? step.then : step.otherwise;
  return StepResult.ok({ condition, next: target }, target === null ? {} : { nextStep: target });
};

/** A wait for a signal: its payload is the output; on timeout it fails (TIMEOUT) or completes with `{ timedOut: true }`. */
const waitForSignal: StepHandler<WaitStepDefinition> = async (step, _ctx, runtime, env) => {
  const { name, timeoutMs, onTimeout } = step.signal!;
  if (env.dryRun) return StepResult.ok({ dryRun: true, signal: name });
  const deadline = await env.signalDeadline(step, runtime, name, timeoutMs);
  const received = await env.receiveSignal(name, runtime.idempotencyKey, deadline, runtime.signal);
  if (received instanceof StepResult) return received;
  if (received !== 'timeout') return StepResult.ok(signalOutput(received.payload));
  if (onTimeout === 'continue') return StepResult.ok({ timedOut: true, signal: name });
  return StepResult.fail(`no signal "${name}" arrived within ${timeoutMs} ms of step "${step.name}" beginning to wait`, { category: ErrorCategory.TIMEOUT });
};

const wait: StepHandler<WaitStepDefinition> = async (step, ctx, runtime, env) => {
  if (step.signal !== null) return waitForSignal(step, ctx, runtime, env);
  const now = env.clock.now();
  let until: number;
  if (step.seconds !== null) until = now + step.seconds * 1000;
  else if (step.durationPath !== null) {
    const seconds = valueAtPath(ctx, step.durationPath);
    if (!(typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0)) {
      return StepResult.fail(`wait step "${step.name}": durationPath "${step.durationPath}" holds ${JSON.stringify(seconds) ?? 'nothing'}, not a number of seconds ≥ 0`, {
        category: ErrorCategory.VALIDATION,
      });
    }
    until = now + seconds * 1000;
  } else {
    const value = await step.until!(ctx, runtime);
    until = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : value;
    if (typeof until !== 'number' || Number.isNaN(until)) {
      return StepResult.fail(`until of wait step "${step.name}" returned ${String(value)}, which is not a date`, {
        category: ErrorCategory.VALIDATION,
      });
    }
  }
  if (env.dryRun) return StepResult.ok({ dryRun: true, waitUntil: new Date(until).toISOString(), waitMs: Math.max(0, until - now) });
  const wakeAt = await env.wakeAt(step, runtime, until);
  const waitMs = Math.max(0, wakeAt - env.clock.now());
  // a worker's run does not hold its slot and lease through a long wait: any worker wakes it
  if (env.parkAfterMs !== null && waitMs > env.parkAfterMs) return env.park(wakeAt);
  if (waitMs > 0) {
    const yielding = env.yieldSignal;
    if (yielding === null) {
      await env.clock.sleep(waitMs, runtime.signal);
    } else {
      if (yielding.aborted) return YIELDED;
      try {
        await env.clock.sleep(waitMs, AbortSignal.any([runtime.signal, yielding]));
      } catch (error) {
        if (runtime.signal.aborted || !yielding.aborted) throw error;
        // the wake-up time is recorded: a resumed run waits out the rest, no longer
        return YIELDED;
      }
    }
  }
  return StepResult.ok({ waitedUntil: new Date(wakeAt).toISOString(), waitedMs: waitMs });
};

const handlers: { readonly [T in StepDefinition['type']]: StepHandler<Extract<StepDefinition, { type: T }>> } = {
  lambda,
  pipeline,
  choice,
  wait,
  map: mapStepHandler,
};

/** Runs one attempt of any step through the handler of its type. */
export function runStepAttempt(step: StepDefinition, ctx: WorkflowContext, runtime: StepRuntime, env: StepEnvironment): StepResult | Promise<StepResult> {
  return (handlers[step.type] as StepHandler)(step, ctx, runtime, env);
}

/** The value at a wait's `durationPath`: a param ('x' or 'params.x') or 'outputs.<step>.<key>'. */
function valueAtPath(ctx: WorkflowContext, path: string): unknown {
  if (path.startsWith('outputs.')) {
    const [, step, key] = path.split('.');
    return ctx.getOutput(step!, key, null);
  }
  return ctx.getParam(path.startsWith('params.') ? path.slice('params.'.length) : path, null);
}
