import { setMaxListeners } from 'node:events';
import type { Clock } from '../clock/clock.port';
import type { WorkflowContext } from '../context/workflow-context';
import type { StepDefinition } from '../definition/step-definition';
import { END, type WorkflowDefinition } from '../definition/workflow-definition';
import { workflowHash } from '../definition/workflow-spec';
import { messageOf } from '../errors/step-error';
import { RunCancelledError } from '../errors/step-timeout.error';
import { ErrorCategory } from '../policy/error-category';
import { ErrorPolicy } from '../policy/error-policy';
import type { RetryPolicy } from '../policy/retry-policy';
import type { Dispatcher } from '../pipeline/pipeline.types';
import type { StepResult } from '../result/step-result';
import type { RunOutcomeStatus, RunProgress, StepStatus } from '../store/run-record';
import type { RunStore } from '../store/run-store.port';
import type { RunEvent, RunEventListener, RunEventType } from './run-event';
import { attemptStep } from './step-attempt';
import { isThenable } from './thenable';
import { applyQualityGate, checkRoute, EMPTY_UPDATES } from './step-outcome';
import type { StepEnvironment } from './step-environment';
import type { StepMiddleware } from './step-middleware';
import type { StepExecution, WorkflowResult } from './workflow-result';

/** Everything a run borrows from its runner. */
export interface RunnerServices {
  readonly dispatcher: Dispatcher;
  readonly store: RunStore;
  readonly clock: Clock;
  readonly middleware: readonly StepMiddleware[];
  readonly onEvent: RunEventListener | null;
  readonly defaultRetry: RetryPolicy;
  readonly defaultTimeoutMs: number | null;
  readonly random: () => number;
  iteratorWorkflow(iterator: WorkflowDefinition | StepDefinition | string): WorkflowDefinition;
}

/** How one run is executed. */
export interface RunSettings {
  readonly dryRun: boolean;
  readonly startFrom: string | null;
  /** Cancels the run and aborts its running step. */
  readonly signal: AbortSignal | null;
  /** Ends the run 'stopped' at the next step boundary, leaving the running step alone. */
  readonly stopSignal: AbortSignal | null;
  readonly persist: boolean;
  readonly keepEvents: boolean;
  readonly parentRunId: string | null;
}

interface StepOutcome {
  readonly result: StepResult;
  readonly context: WorkflowContext;
  readonly cancelled: boolean;
}

const NEVER_ABORTED = new AbortController().signal;
const stepIndexes = new WeakMap<WorkflowDefinition, ReadonlyMap<string, number>>();

function stepIndex(definition: WorkflowDefinition): ReadonlyMap<string, number> {
  let index = stepIndexes.get(definition);
  if (index === undefined) {
    index = new Map(definition.steps.map((step, i) => [step.name, i]));
    stepIndexes.set(definition, index);
  }
  return index;
}

/** One run of one workflow: the step loop, routing, policies, records and events. */
export class RunExecution implements StepEnvironment {
  readonly runId: string;
  readonly dispatcher: Dispatcher;
  readonly clock: Clock;
  readonly dryRun: boolean;
  /** Present only for cancellable runs; other runs hand steps a signal that never aborts. */
  private readonly controller: AbortController | null;
  private readonly signal: AbortSignal;
  private readonly events: RunEvent[] = [];
  private readonly executions: StepExecution[] = [];
  private readonly completed: string[] = [];
  private readonly failed: string[] = [];
  private readonly skipped: string[] = [];
  private readonly lastStatus = new Map<string, StepStatus>();
  private readonly iterations = new Map<string, number>();
  private executed = 0;
  private lastCompletedStep: string | null = null;

  constructor(
    private readonly services: RunnerServices,
    private readonly definition: WorkflowDefinition,
    private readonly initial: WorkflowContext,
    private readonly settings: RunSettings,
  ) {
    this.runId = initial.runId;
    this.dispatcher = services.dispatcher;
    this.clock = services.clock;
    this.dryRun = settings.dryRun;
    this.controller = settings.signal === null ? null : new AbortController();
    if (this.controller !== null) setMaxListeners(0, this.controller.signal);
    this.signal = this.controller?.signal ?? NEVER_ABORTED;
  }

  iteratorWorkflow(iterator: WorkflowDefinition | StepDefinition | string): WorkflowDefinition {
    return this.services.iteratorWorkflow(iterator);
  }

  runChild(definition: WorkflowDefinition, ctx: WorkflowContext, signal: AbortSignal): Promise<WorkflowResult> {
    const settings: RunSettings = {
      dryRun: this.dryRun,
      startFrom: null,
      signal: signal === NEVER_ABORTED ? null : signal,
      stopSignal: null,
      persist: false,
      keepEvents: false,
      parentRunId: this.runId,
    };
    return new RunExecution(this.services, definition, ctx, settings).run();
  }

  /** Runs the workflow to its end and reports what happened. */
  async run(): Promise<WorkflowResult> {
    const external = this.settings.signal;
    const controller = this.controller;
    if (external === null || controller === null) return this.runSteps();
    const onAbort = (): void => controller.abort(new RunCancelledError(external.reason));
    if (external.aborted) onAbort();
    else external.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.runSteps();
    } finally {
      external.removeEventListener('abort', onAbort);
    }
  }

  private async runSteps(): Promise<WorkflowResult> {
    const { definition, services, settings } = this;
    const startedAt = this.clock.now();
    const started = performance.now();
    const steps = definition.steps;
    const index = stepIndex(definition);
    if (settings.persist) await this.createRun(startedAt);
    this.emit('run_started', {});

    let ctx = this.initial;
    let status: RunOutcomeStatus = 'completed';
    let errorStep: string | null = null;
    let error: string | null = null;
    let errorCategory: ErrorCategory | null = null;
    let i = settings.startFrom === null ? 0 : index.get(settings.startFrom)!;
    for (let j = 0; j < i; j++) await this.skip(steps[j]!, `the run started from "${settings.startFrom}"`);

    while (i < steps.length) {
      const step = steps[i]!;
      if (this.signal.aborted) {
        status = 'cancelled';
        break;
      }
      if (settings.stopSignal?.aborted) {
        status = 'stopped';
        break;
      }
      if (this.executed >= definition.maxSteps) {
        status = 'failed';
        errorStep = step.name;
        errorCategory = ErrorCategory.CONFIGURATION;
        error =
          `Workflow "${definition.name}" reached its step budget of ${definition.maxSteps} step executions at step ` +
          `"${step.name}"; a choice or nextStep probably loops forever. Raise maxSteps if the loop is intended.`;
        break;
      }
      const unmet = step.dependsOn.find((d) => this.lastStatus.get(d) !== 'completed');
      if (unmet !== undefined) {
        await this.skip(step, `its dependency "${unmet}" did not complete`);
        i++;
        continue;
      }
      const iteration = (this.iterations.get(step.name) ?? 0) + 1;
      this.iterations.set(step.name, iteration);
      this.executed++;
      const outcome = await this.executeStep(step, ctx, iteration, index);
      if (outcome.cancelled) {
        status = 'cancelled';
        break;
      }
      let route: string | null;
      if (outcome.result.success) {
        ctx = outcome.context;
        route = outcome.result.nextStep ?? step.next;
      } else if (step.onError === ErrorPolicy.CONTINUE) {
        route = step.next;
      } else {
        status = 'failed';
        errorStep = step.name;
        error = outcome.result.error;
        errorCategory = outcome.result.errorCategory;
        break;
      }
      const target = route === null ? i + 1 : route === END ? steps.length : index.get(route)!;
      for (let j = i + 1; j < target; j++) await this.skip(steps[j]!, `"${step.name}" routed to "${route}"`);
      i = target;
    }

    const finishedAt = this.clock.now();
    const durationMs = performance.now() - started;
    if (settings.persist) {
      await services.store.finishRun(this.runId, {
        ...this.progress(status),
        status,
        finishedAt: new Date(finishedAt),
        durationMs,
        errorStep,
        error,
        errorCategory,
      });
    }
    const runEvent: RunEventType =
      status === 'completed' ? 'run_completed' : status === 'failed' ? 'run_failed' : status === 'cancelled' ? 'run_cancelled' : 'run_stopped';
    this.emit(runEvent, {
      durationMs,
      ...(errorStep !== null && { step: errorStep }),
      ...(error !== null && { error }),
      ...(errorCategory !== null && { errorCategory }),
    });
    return {
      status,
      runId: this.runId,
      workflowName: definition.name,
      context: ctx,
      completedSteps: this.completed,
      failedSteps: this.failed,
      skippedSteps: this.skipped,
      totalSteps: steps.length,
      executedSteps: this.executed,
      errorStep,
      error,
      errorCategory,
      startedAt: new Date(startedAt),
      finishedAt: new Date(finishedAt),
      durationMs,
      steps: this.executions,
      events: this.events,
      dryRun: this.dryRun,
    };
  }

  private async createRun(startedAt: number): Promise<void> {
    const { definition, initial } = this;
    await this.services.store.createRun({
      runId: this.runId,
      workflowName: definition.name,
      workflowVersion: definition.version,
      workflowHash: workflowHash(definition),
      domain: definition.domain,
      params: initial.params,
      partition: initial.partition,
      batchId: initial.batchId,
      traceId: initial.traceId,
      asOfDate: initial.asOfDate,
      captureId: initial.captureId,
      idempotencyKey: initial.idempotencyKey,
      parentRunId: this.settings.parentRunId,
      totalSteps: definition.steps.length,
      startedAt: new Date(startedAt),
    });
  }

  /** Runs one step execution: attempts, retries, the quality gate, its records and events. */
  private async executeStep(
    step: StepDefinition,
    ctx: WorkflowContext,
    iteration: number,
    index: ReadonlyMap<string, number>,
  ): Promise<StepOutcome> {
    const key = `${this.runId}:${step.name}:${iteration}`;
    const stepCtx = ctx.forStep(step.name, key);
    const retry = step.retry ?? (step.onError === ErrorPolicy.RETRY ? this.services.defaultRetry : null);
    const timeoutMs = step.timeoutMs ?? this.services.defaultTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      this.emit('step_started', { step: step.name, attempt, iteration });
      const startedAt = this.clock.now();
      const started = performance.now();
      let result = attemptStep(this, {
        step,
        ctx: stepCtx,
        attempt,
        iteration,
        idempotencyKey: key,
        timeoutMs,
        runSignal: this.signal,
        cancellable: this.controller !== null,
        workflow: this.definition.name,
        middleware: this.services.middleware,
      });
      if (isThenable(result)) result = await result;
      if (step.quality !== null) {
        const gated = applyQualityGate(step, result);
        if (gated.warnings.length > 0) this.emit('quality_warning', { step: step.name, attempt, iteration, violations: gated.warnings });
        result = gated.result;
      }
      if (result.nextStep !== null) result = checkRoute(step, result, index);
      let next = ctx;
      if (result.success) {
        try {
          const updates = result.contextUpdates === EMPTY_UPDATES ? undefined : result.contextUpdates;
          next = ctx.withStepOutput(step.name, result.output, updates, { lastCompletedStep: step.name, executedSteps: this.executed });
        } catch (error) {
          result = result.asFailure(messageOf(error), ErrorCategory.VALIDATION);
        }
      }
      const durationMs = performance.now() - started;
      const cancelled = this.signal.aborted;
      if (!result.success && !cancelled && retry !== null && retry.shouldRetry(result.errorCategory!, attempt)) {
        const delayMs = retry.delayAfter(attempt, this.services.random);
        await this.record(step, iteration, attempt, 'retried', key, startedAt, durationMs, result);
        this.emit('step_retried', { step: step.name, attempt, iteration, durationMs, error: result.error!, errorCategory: result.errorCategory!, delayMs });
        try {
          await this.clock.sleep(delayMs, this.signal);
        } catch {
          return { result, context: ctx, cancelled: true };
        }
        continue;
      }
      const status = result.success ? 'completed' : 'failed';
      if (result.success) {
        this.completed.push(step.name);
        this.lastCompletedStep = step.name;
      } else this.failed.push(step.name);
      this.lastStatus.set(step.name, status);
      await this.record(step, iteration, attempt, status, key, startedAt, durationMs, result);
      this.executions.push({
        name: step.name,
        type: step.type,
        status,
        iteration,
        attempts: attempt,
        durationMs,
        error: result.error,
        errorCategory: result.errorCategory,
        quality: result.quality,
        idempotencyKey: key,
      });
      if (result.success) {
        this.emit('step_completed', { step: step.name, attempt, iteration, durationMs });
      } else {
        this.emit('step_failed', { step: step.name, attempt, iteration, durationMs, error: result.error!, errorCategory: result.errorCategory! });
      }
      return { result, context: next, cancelled };
    }
  }

  private async skip(step: StepDefinition, reason: string): Promise<void> {
    const key = `${this.runId}:${step.name}:${(this.iterations.get(step.name) ?? 0) + 1}`;
    this.skipped.push(step.name);
    this.lastStatus.set(step.name, 'skipped');
    await this.record(step, (this.iterations.get(step.name) ?? 0) + 1, 0, 'skipped', key, this.clock.now(), 0, null);
    this.executions.push({
      name: step.name,
      type: step.type,
      status: 'skipped',
      iteration: (this.iterations.get(step.name) ?? 0) + 1,
      attempts: 0,
      durationMs: 0,
      error: null,
      errorCategory: null,
      quality: null,
      idempotencyKey: key,
      reason,
    });
    this.emit('step_skipped', { step: step.name, reason });
  }

  private progress(status: RunProgress['status']): RunProgress {
    return {
      status,
      executedSteps: this.executed,
      completedSteps: this.completed.length,
      failedSteps: this.failed.length,
      skippedSteps: this.skipped.length,
      lastCompletedStep: this.lastCompletedStep,
    };
  }

  private async record(
    step: StepDefinition,
    iteration: number,
    attempt: number,
    status: StepStatus,
    idempotencyKey: string,
    startedAt: number,
    durationMs: number,
    result: StepResult | null,
  ): Promise<void> {
    if (!this.settings.persist) return;
    await this.services.store.recordStep(
      {
        runId: this.runId,
        stepName: step.name,
        stepType: step.type,
        iteration,
        attempt,
        status,
        idempotencyKey,
        startedAt: new Date(startedAt),
        finishedAt: new Date(startedAt + durationMs),
        durationMs,
        output: result === null ? null : result.output,
        contextUpdates: result === null || !result.success ? null : result.contextUpdates,
        error: result?.error ?? null,
        errorCategory: result?.errorCategory ?? null,
        quality: result?.quality?.toJSON() ?? null,
        nextStep: result?.nextStep ?? null,
      },
      this.progress('running'),
    );
  }

  /** Emits an event built on `fields` (a fresh object the caller gives away). */
  private emit(type: RunEventType, fields: Partial<RunEvent>): void {
    const keep = this.settings.keepEvents;
    const listener = this.services.onEvent;
    if (!keep && listener === null) return;
    const event = fields as { -readonly [K in keyof RunEvent]: RunEvent[K] };
    event.type = type;
    event.runId = this.runId;
    event.traceId = this.initial.traceId;
    event.workflow = this.definition.name;
    event.timestamp = this.clock.now();
    if (this.settings.parentRunId !== null) event.parentRunId = this.settings.parentRunId;
    if (keep) this.events.push(event);
    if (listener !== null) {
      try {
        listener(event);
      } catch (error) {
        console.warn(`spine-orchestration: an onEvent listener threw on ${type}: ${messageOf(error)}`);
      }
    }
  }
}

