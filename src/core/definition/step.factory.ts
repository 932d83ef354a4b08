import type { ChoiceStepOptions, LambdaHandler, LambdaStepOptions, MapStepOptions, PipelineStepOptions, StepDeclaration, WaitStepOptions, SignalWaitOptions } from './step-definition';

type Declared<T extends StepDeclaration['type']> = Extract<StepDeclaration, { type: T }>;

/** Factories of step declarations for `Workflow.define({ steps: [...] })`. */
export const Step = {
  /** An inline function step. */
  lambda(name: string, handler: LambdaHandler, options: LambdaStepOptions = {}): Declared<'lambda'> {
    return { ...options, type: 'lambda', name, handler };
  },
  /** A step that runs a registered pipeline through the dispatcher. */
  pipeline(name: string, pipeline: string, options: PipelineStepOptions = {}): Declared<'pipeline'> {
    return { ...options, type: 'pipeline', name, pipeline };
  },
  /** Routes to `then` when the condition holds, else to `otherwise` (or the next step). */
  choice(name: string, options: ChoiceStepOptions): Declared<'choice'> {
    return { ...options, type: 'choice', name };
  },
  /** Waits a number of seconds, or until a time computed from the context. */
  wait(name: string, options: WaitStepOptions): Declared<'wait'> {
    return { ...options, type: 'wait', name };
  },

  /**
   * Waits for the signal `options.signal` (default: the step's name) sent to the run
   * (`spine.signal(runId, name, payload)`, from any process; one sent earlier is kept until a wait
   * consumes it). Its payload is the step's output. A worker's run parks meanwhile (no process or
   * lease held). After `timeoutMs`: fails with TIMEOUT, or with `onTimeout: 'continue'` completes
   * with `{ timedOut: true }`.
   */
  waitForSignal(name: string, options: SignalWaitOptions = {}): Declared<'wait'> {
    const { signal, timeoutMs, onTimeout, ...rest } = options;
    return { ...rest, type: 'wait', name, signal: { name: signal ?? name, timeoutMs: timeoutMs ?? null, onTimeout: onTimeout ?? 'fail' } };
  },
  /** Runs the iterator once per item, at most `maxConcurrency` at a time; results in item order. */
  map(name: string, options: MapStepOptions): Declared<'map'> {
    return { ...options, type: 'map', name };
  },
} as const;
