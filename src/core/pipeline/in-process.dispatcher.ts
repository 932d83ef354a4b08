import { SpineError } from '../errors/spine-error';
import { ErrorCategory } from '../policy/error-category';
import { StepResult } from '../result/step-result';
import type { Dispatcher, PipelineLookup, PipelineRequest, PipelineReturn } from './pipeline.types';

/** Runs pipelines in this process, looked up by name. */
export class InProcessDispatcher implements Dispatcher {
  constructor(private readonly pipelines: PipelineLookup) {}

  async dispatch(request: PipelineRequest): Promise<StepResult> {
    const handler = this.pipelines.get(request.pipeline);
    if (handler === undefined) {
      return StepResult.fail(unknownPipeline(request.pipeline, this.pipelines.names()).message, {
        category: ErrorCategory.CONFIGURATION,
      });
    }
    const { signal, attempt, idempotencyKey, scope, epoch } = request;
    return toStepResult(request.pipeline, await handler.run(request.params, request.context, { signal, attempt, idempotencyKey, scope, epoch }));
  }

  has(pipeline: string): boolean {
    return this.pipelines.has(pipeline);
  }

  names(): readonly string[] {
    return this.pipelines.names();
  }
}

/** The error for a pipeline name nobody registered, listing the known ones. */
export function unknownPipeline(name: string, known: readonly string[]): SpineError {
  const list = known.length > 0 ? `Registered pipelines: ${known.join(', ')}.` : 'No pipelines are registered.';
  return new SpineError('unknown-pipeline', `Pipeline "${name}" is not registered. ${list}`);
}

const RESULT_KEYS = new Set(['output', 'quality', 'contextUpdates', 'events']);

/**
 * A pipeline's return value as a step result. An object with other keys than a PipelineResult's
 * is refused rather than guessed at, so an output is never silently dropped.
 */
export function toStepResult(pipeline: string, value: PipelineReturn): StepResult {
  if (value instanceof StepResult) return value;
  if (value === undefined || value === null) return StepResult.ok();
  const stray = typeof value === 'object' ? Object.keys(value).filter((k) => !RESULT_KEYS.has(k)) : [];
  if (typeof value !== 'object' || Array.isArray(value) || stray.length > 0) {
    const got = typeof value !== 'object' ? typeof value : Array.isArray(value) ? 'an array' : `an object with ${stray.map((k) => `"${k}"`).join(', ')}`;
    return StepResult.fail(`Pipeline "${pipeline}" returned ${got}; return { output: { … } } (with optional quality, contextUpdates, events) or a StepResult.`, {
      category: ErrorCategory.CONFIGURATION,
    });
  }
  return StepResult.ok(value.output, {
    ...(value.quality !== undefined && { quality: value.quality }),
    ...(value.contextUpdates !== undefined && { contextUpdates: value.contextUpdates }),
    ...(value.events !== undefined && { events: value.events }),
  });
}
