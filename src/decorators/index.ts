/** The decorator API: decorators record metadata; `src/discovery` compiles it. */
export { LambdaStep, PipelineStep, Choice, Wait, WaitForSignal, MapStep, type StepDecorator } from './step.decorators';
export { WorkflowDecorator, Pipeline, Schedule, Handler } from './class.decorators';
export {
  DecoratorMetadata,
  type ChoiceDecoratorOptions,
  type Constructor,
  type LambdaStepDecoratorOptions,
  type MapIteratorRef,
  type MapStepDecoratorOptions,
  type PipelineMetadata,
  type HandlerMetadata,
  type PipelineOptions,
  type PipelineStepDecoratorOptions,
  type StepMetadata,
  type WaitDecoratorOptions,
  type WaitForSignalDecoratorOptions,
  type ScheduleMetadata,
  type WorkflowOptions,
} from './decorator-metadata';
export { HANDLERS_METADATA, PIPELINE_METADATA, SCHEDULES_METADATA, WORKFLOW_METADATA, WORKFLOW_STEPS_METADATA } from './metadata-keys';
