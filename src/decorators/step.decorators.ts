import {
  recordStep,
  type ChoiceDecoratorOptions,
  type LambdaStepDecoratorOptions,
  type MapStepDecoratorOptions,
  type PipelineStepDecoratorOptions,
  type StepMetadata,
  type WaitDecoratorOptions,
  type WaitForSignalDecoratorOptions,
} from './decorator-metadata';

/** A decorator for methods (it also accepts properties, so that misuse is reported, not hidden). */
export type StepDecorator = (target: object, member: string | symbol, descriptor?: PropertyDescriptor) => void;

type Recorded<K extends StepMetadata['kind']> = Extract<StepMetadata, { kind: K }>['options'];

function stepDecorator<K extends StepMetadata['kind']>(kind: K, options: Recorded<K>): StepDecorator {
  return (target, member, descriptor) => {
    const isMethod = descriptor !== undefined && typeof descriptor.value === 'function';
    recordStep(target, { kind, method: member, isMethod, options } as StepMetadata);
  };
}

/** Marks a method as a lambda step: `(ctx, config, step) => StepResult | output`. */
export function LambdaStep(options: LambdaStepDecoratorOptions = {}): StepDecorator {
  return stepDecorator('lambda', options);
}

/**
 * Marks a method as a pipeline step. The method may return extra pipeline params computed from the
 * context (they override the step's `params`).
 */
export function PipelineStep(pipeline: string | PipelineStepDecoratorOptions): StepDecorator {
  return stepDecorator('pipeline', typeof pipeline === 'string' ? { pipeline } : pipeline);
}

/** Marks a method as a choice: it returns the condition; true goes to `then`, false to `otherwise`. */
export function Choice(options: ChoiceDecoratorOptions): StepDecorator {
  return stepDecorator('choice', options);
}

/** Marks a method as a wait: `@Wait({ seconds })`, or `@Wait()` on a method returning the wake-up time. */
export function Wait(options: WaitDecoratorOptions = {}): StepDecorator {
  return stepDecorator('wait', options);
}

/** Marks a method as a map step over items, each run through `iterator` (a `@Workflow` class or name). */
export function MapStep(options: MapStepDecoratorOptions): StepDecorator {
  return stepDecorator('map', options);
}

/**
 * Marks a method as a wait for a signal (`spine.signal(runId, name, payload)`): the payload is the
 * step's output; the method's body is not called. See `Step.waitForSignal`.
 */
export function WaitForSignal(options: WaitForSignalDecoratorOptions = {}): StepDecorator {
  return (target, member, descriptor) => {
    const isMethod = descriptor !== undefined && typeof descriptor.value === 'function';
    const { name, timeoutMs, onTimeout, description } = options;
    const signal = { name: name ?? String(member), timeoutMs: timeoutMs ?? null, onTimeout: onTimeout ?? 'fail' };
    recordStep(target, { kind: 'wait', method: member, isMethod, options: { signal, ...(description !== undefined && { description }) } } as StepMetadata);
  };
}
