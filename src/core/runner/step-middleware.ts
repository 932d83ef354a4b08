import type { WorkflowContext } from '../context/workflow-context';
import type { StepDefinition, StepType } from '../definition/step-definition';
import type { StepResult } from '../result/step-result';

/** What middleware is told about the step it wraps. */
export interface StepInvocation {
  readonly runId: string;
  readonly workflow: string;
  readonly name: string;
  readonly type: StepType;
  readonly attempt: number;
  readonly iteration: number;
  readonly idempotencyKey: string;
  readonly definition: StepDefinition;
}

/** Wraps every step attempt: call `next()` to run the step (or don't, to short-circuit it). */
export type StepMiddleware = (step: StepInvocation, ctx: WorkflowContext, next: () => Promise<StepResult>) => Promise<StepResult>;
