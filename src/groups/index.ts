/** The v1 API (pipeline groups), kept beside v2 workflows: `spine-orchestration/groups`. */
export { PipelineGroup, PipelineStep, type PipelineGroupInit } from './pipeline-group';
export { ExecutionPolicy, type FailureMode } from './execution-policy';
export { PlanResolver, type ExecutionPlan, type PlannedStep } from './plan-resolver';
export { GroupRunner, type GroupResult, type GroupStepResult } from './group-runner';
