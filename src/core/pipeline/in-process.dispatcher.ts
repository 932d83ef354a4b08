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
    const { signal, attempt, idempotencyKey } = request;
    return toStepResult(await handler.run(request.params, request.context, { signal, attempt, idempotencyKey }));
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

/** A pipeline's return value as a step result. */
export function toStepResult(value: PipelineReturn): StepResult {
  if (value instanceof StepResult) return value;
  if (value === undefined || value === null) return StepResult.ok();
  if (typeof value !== 'object') return StepResult.ok({ value });
  return StepResult.ok(value.output, {
    ...(value.quality !== undefined && { quality: value.quality }),
    ...(value.contextUpdates !== undefined && { contextUpdates: value.contextUpdates }),
    ...(value.events !== undefined && { events: value.events }),
  });
}
