/** The decorator API: decorators record metadata; `src/discovery` compiles it. */
export { LambdaStep, PipelineStep, Choice, Wait, MapStep, type StepDecorator } from './step.decorators';
export { WorkflowDecorator, Pipeline } from './class.decorators';
export {
  DecoratorMetadata,
  type ChoiceDecoratorOptions,
  type Constructor,
  type LambdaStepDecoratorOptions,
  type MapIteratorRef,
  type MapStepDecoratorOptions,
  type PipelineMetadata,
  type PipelineOptions,
  type PipelineStepDecoratorOptions,
  type StepMetadata,
  type WaitDecoratorOptions,
  type WorkflowOptions,
} from './decorator-metadata';
export { PIPELINE_METADATA, WORKFLOW_METADATA, WORKFLOW_STEPS_METADATA } from './metadata-keys';
