import type { WorkflowContext } from '../context/workflow-context';
import type { StepRuntime } from '../definition/step-definition';
import type { QualityMetrics, QualityMetricsInit } from '../quality/quality-metrics';
import type { StepEvent, StepResult } from '../result/step-result';

/** Params a pipeline receives: workflow defaults < run params (with context updates) < step params. */
export type PipelineParams = Readonly<Record<string, unknown>>;

/** What a pipeline returns; a StepResult is accepted as well, and nothing means an empty output. */
export interface PipelineResult {
  readonly output?: Readonly<Record<string, unknown>>;
  readonly quality?: QualityMetrics | QualityMetricsInit;
  readonly contextUpdates?: Readonly<Record<string, unknown>>;
  readonly events?: readonly StepEvent[];
}

/** Anything a pipeline may return. */
export type PipelineReturn = PipelineResult | StepResult | void | undefined;

/** A pipeline as a function. */
export type PipelineFunction = (params: PipelineParams, ctx: WorkflowContext, step: StepRuntime) => PipelineReturn | Promise<PipelineReturn>;

/** A pipeline as an object (classes registered with `@Pipeline` implement this). */
export interface PipelineHandler {
  run(params: PipelineParams, ctx: WorkflowContext, step: StepRuntime): PipelineReturn | Promise<PipelineReturn>;
}

/** One pipeline execution asked of a dispatcher. */
export interface PipelineRequest extends StepRuntime {
  readonly pipeline: string;
  readonly params: PipelineParams;
  readonly context: WorkflowContext;
}

/** Port: runs pipelines by name (in-process by default; a queue or a worker pool elsewhere). */
export interface Dispatcher {
  /** Runs the pipeline; throws or returns a failed result on failure. */
  dispatch(request: PipelineRequest): Promise<StepResult>;
  /** True when the pipeline can be dispatched; lets definitions be checked before a run. */
  has(pipeline: string): boolean;
  /** Names of the pipelines known, for error messages. */
  names(): readonly string[];
}

/** Port: finds a pipeline's handler by name. */
export interface PipelineLookup {
  get(name: string): PipelineHandler | undefined;
  has(name: string): boolean;
  names(): readonly string[];
}
