import { newRunId } from '../core/context/run-id';
import { WorkflowContext } from '../core/context/workflow-context';
import { categoryOf, messageOf } from '../core/errors/step-error';
import { InProcessDispatcher } from '../core/pipeline/in-process.dispatcher';
import { PipelineRegistry } from '../core/pipeline/pipeline.registry';
import type { Dispatcher, PipelineLookup } from '../core/pipeline/pipeline.types';
import type { ErrorCategory } from '../core/policy/error-category';
import { LazyRunScope } from '../core/runner/run-scope';
import type { ExecutionPlan, PlannedStep } from './plan-resolver';

/** The outcome of one step of a group run. */
export interface GroupStepResult {
  readonly name: string;
  readonly pipeline: string;
  readonly status: 'completed' | 'failed' | 'skipped';
  readonly output: Readonly<Record<string, unknown>> | null;
  readonly error: string | null;
  readonly errorCategory: ErrorCategory | null;
  readonly durationMs: number;
  /** Why a skipped step did not run. */
  readonly reason?: string;
}

/** What `GroupRunner.execute` returns: 'partial' when some steps failed under 'continue' and others completed. */
export interface GroupResult {
  readonly status: 'completed' | 'failed' | 'partial';
  readonly runId: string;
  readonly group: string;
  /** Per step, in plan order. */
  readonly steps: readonly GroupStepResult[];
  readonly completedSteps: readonly string[];
  readonly failedSteps: readonly string[];
  readonly skippedSteps: readonly string[];
  readonly durationMs: number;
}

/** Runs v1 plans through the same dispatcher as workflows. */
export class GroupRunner {
  private readonly dispatcher: Dispatcher;

  constructor(options: { readonly pipelines?: PipelineLookup; readonly dispatcher?: Dispatcher } = {}) {
    this.dispatcher = options.dispatcher ?? new InProcessDispatcher(options.pipelines ?? new PipelineRegistry());
  }

  /** Runs the plan by its policy; a step starts once all its dependencies completed. */
  async execute(plan: ExecutionPlan, options: { readonly runId?: string; readonly batchId?: string; readonly signal?: AbortSignal } = {}): Promise<GroupResult> {
    const runId = options.runId ?? newRunId();
    const started = performance.now();
    const results = new Map<string, GroupStepResult>();
    const running = new Map<string, Promise<void>>();
    const { policy } = plan;
    let halted = false;

    const skip = (step: PlannedStep, reason: string): void => {
      results.set(step.name, { name: step.name, pipeline: step.pipeline, status: 'skipped', output: null, error: null, errorCategory: null, durationMs: 0, reason });
    };
    const start = (step: PlannedStep): void => {
      const promise = this.runStep(plan, step, runId, options).then((result) => {
        results.set(step.name, result);
        running.delete(step.name);
        if (result.status === 'failed' && policy.onFailure === 'stop') halted = true;
      });
      running.set(step.name, promise);
    };

    for (;;) {
      const cancelled = options.signal?.aborted === true;
      for (const step of plan.steps) {
        if (results.has(step.name) || running.has(step.name)) continue;
        const blocked = step.dependsOn.find((d) => {
          const status = results.get(d)?.status;
          return status === 'failed' || status === 'skipped';
        });
        if (blocked !== undefined) {
          skip(step, `its dependency "${blocked}" did not complete`);
          continue;
        }
        if (halted || cancelled || running.size >= policy.maxConcurrency) continue;
        if (step.dependsOn.every((d) => results.get(d)?.status === 'completed')) start(step);
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    for (const step of plan.steps) {
      if (!results.has(step.name)) skip(step, halted ? 'the group stopped after a failure' : 'the group run was cancelled');
    }

    const ordered = plan.steps.map((s) => results.get(s.name)!);
    const names = (status: GroupStepResult['status']): string[] => ordered.filter((r) => r.status === status).map((r) => r.name);
    const completedSteps = names('completed');
    const failedSteps = names('failed');
    const skippedSteps = names('skipped');
    const status = failedSteps.length === 0 && skippedSteps.length === 0 ? 'completed' : policy.onFailure === 'continue' && completedSteps.length > 0 ? 'partial' : 'failed';
    return { status, runId, group: plan.group, steps: ordered, completedSteps, failedSteps, skippedSteps, durationMs: performance.now() - started };
  }

  private async runStep(plan: ExecutionPlan, step: PlannedStep, runId: string, options: { readonly batchId?: string; readonly signal?: AbortSignal }): Promise<GroupStepResult> {
    const started = performance.now();
    const idempotencyKey = `${runId}:${step.name}:1`;
    const context = WorkflowContext.create({ runId, params: step.params, batchId: options.batchId ?? null, metadata: { group: plan.group } }).forStep(step.name, idempotencyKey);
    const base = { name: step.name, pipeline: step.pipeline };
    try {
      const result = await this.dispatcher.dispatch({
        pipeline: step.pipeline,
        params: step.params,
        context,
        signal: options.signal ?? new AbortController().signal,
        attempt: 1,
        idempotencyKey,
        scope: new LazyRunScope(),
        epoch: 0,
      });
      const durationMs = performance.now() - started;
      if (result.success) return { ...base, status: 'completed', output: result.output, error: null, errorCategory: null, durationMs };
      return { ...base, status: 'failed', output: result.output, error: result.error, errorCategory: result.errorCategory, durationMs };
    } catch (error) {
      return { ...base, status: 'failed', output: null, error: messageOf(error), errorCategory: categoryOf(error), durationMs: performance.now() - started };
    }
  }
}
