import { setMaxListeners } from 'node:events';
import type { Clock } from '../clock/clock.port';
import type { WorkflowContext } from '../context/workflow-context';
import type { RunScope, StepDefinition, StepRuntime } from '../definition/step-definition';
import { END, type WorkflowDefinition } from '../definition/workflow-definition';
import { messageOf } from '../errors/step-error';
import { RunCancelledError } from '../errors/step-timeout.error';
import { LeaseLostError, SpineError } from '../errors/spine-error';
import { ErrorCategory } from '../policy/error-category';
import { ErrorPolicy } from '../policy/error-policy';
import type { Dispatcher } from '../pipeline/pipeline.types';
import { StepResult } from '../result/step-result';
import type { RunOutcomeStatus } from '../store/run-record';
import type { RunEventType } from './run-event';
import { RunEventLog } from './run-event-log';
import { resultOfEarlierRun } from './earlier-run.result';
import { startHeartbeat, type LeaseState } from './lease-heartbeat';
import { attemptStep, type AttemptEnvironment } from './step-attempt';
import { isThenable } from './thenable';
import { YIELDED } from './yielded.result';
import { applyQualityGate, checkRoute, EMPTY_UPDATES } from './step-outcome';
import type { StepMiddleware } from './step-middleware';
import type { WorkflowResult } from './workflow-result';
import { RunLedger } from './run-ledger';
import { LazyRunScope } from './run-scope';
import type { RunnerServices, RunSettings } from './run-settings';

export type { LeaseSettings, RunnerServices, RunSettings } from './run-settings';

interface StepOutcome {
  readonly result: StepResult;
  readonly context: WorkflowContext;
  readonly cancelled: boolean;
  /** A waiting step gave way to a stop or hand-off: nothing was recorded for it. */
  readonly yielded?: boolean;
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
export class RunExecution implements AttemptEnvironment {
  readonly runId: string;
  readonly workflowName: string;
  readonly dispatcher: Dispatcher;
  readonly clock: Clock;
  readonly dryRun: boolean;
  readonly middleware: readonly StepMiddleware[];
  readonly runSignal: AbortSignal;
  readonly cancellable: boolean;
  readonly yieldSignal: AbortSignal | null;
  /** Per-run values for steps (`step.scope`): a map item, being a run of its own, gets its own. */
  readonly scope: RunScope = new LazyRunScope();
  /** Present only for cancellable runs; other runs hand steps a signal that never aborts. */
  private readonly controller: AbortController | null;
  private readonly log: RunEventLog;
  private readonly ledger: RunLedger;
  private readonly leaseOwner: string | null;
  private stopHeartbeat: (() => void) | null = null;
  /** Set by the heartbeat: another process took the lease, or someone asked to cancel. */
  private readonly lease: LeaseState = { lost: false, cancelRequested: false };
  /** True once the run exists in the store (a failure after that leaves it interrupted). */
  private opened = false;
  private currentStepName: string | null = null;

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
    this.runSignal = this.controller?.signal ?? NEVER_ABORTED;
    this.cancellable = this.controller !== null;
    const { stopSignal, handoffSignal } = settings;
    this.yieldSignal = stopSignal !== null && handoffSignal !== null ? AbortSignal.any([stopSignal, handoffSignal]) : (stopSignal ?? handoffSignal);
    this.workflowName = definition.name;
    this.middleware = services.middleware;
    this.leaseOwner = settings.persist && settings.leased ? services.lease.owner : null;
    this.ledger = new RunLedger(this.runId, settings.persist ? services.store : null, stepIndex(definition), this.leaseOwner);
    const savesEvents = settings.persist && typeof services.store.recordEvents === 'function';
    this.log = new RunEventLog(
      { runId: this.runId, traceId: initial.traceId, workflow: definition.name, parentRunId: settings.parentRunId },
      services.clock,
      settings.keepEvents,
      services.onEvent,
      savesEvents ? services.store : null,
    );
  }

  iteratorWorkflow(iterator: WorkflowDefinition | StepDefinition | string): WorkflowDefinition {
    return this.services.iteratorWorkflow(iterator);
  }

  itemParams(
    iterator: WorkflowDefinition,
    parent: WorkflowContext,
    params: Readonly<Record<string, unknown>>,
  ): Readonly<Record<string, unknown>> | Promise<Readonly<Record<string, unknown>>> {
    const validator = this.services.itemParamsValidator;
    return validator === null ? params : validator(iterator, { ...parent.params, ...params });
  }

  mapProgress(step: string, done: number, failed: number, total: number): void {
    this.log.progress(step, done, failed, total);
  }

  async wakeAt(step: StepDefinition, runtime: StepRuntime, until: number): Promise<number> {
    const recorded = this.ledger.wakes.get(runtime.idempotencyKey);
    if (recorded !== undefined) return recorded;
    const iteration = Number(runtime.idempotencyKey.slice(runtime.idempotencyKey.lastIndexOf(':') + 1));
    const written = this.ledger.waiting(step, iteration, runtime.idempotencyKey, this.clock.now(), until);
    if (written !== undefined) await written;
    this.ledger.wakes.set(runtime.idempotencyKey, until);
    return until;
  }

  /**
   * Runs a map item as a child run. In a durable store the item is recorded as a run of its own
   * (parent_run_id set, its run id as idempotency key): an item that completed before a crash or
   * failure is not run again (its recorded result is returned), an unfinished one is resumed.
   */
  async runChild(definition: WorkflowDefinition, ctx: WorkflowContext, signal: AbortSignal): Promise<WorkflowResult> {
    const persist = this.settings.persist && this.services.store.durable === true;
    const settings: RunSettings = {
      dryRun: this.dryRun,
      startFrom: null,
      signal: signal === NEVER_ABORTED ? null : signal,
      // a stop or hand-off of the parent stops its items at their next step boundary
      stopSignal: this.yieldSignal,
      handoffSignal: null,
      persist,
      leased: false,
      keepEvents: false,
      parentRunId: this.runId,
      resume: null,
    };
    if (!persist) return new RunExecution(this.services, definition, ctx, settings).run();
    const existing = await this.services.store.getRun(ctx.runId);
    if (existing === null || existing.status === 'completed') {
      return new RunExecution(this.services, definition, ctx.withFields({ idempotencyKey: ctx.runId }), settings).run();
    }
    const records = await this.services.store.getRunSteps(ctx.runId);
    return new RunExecution(this.services, definition, ctx.withFields({ idempotencyKey: ctx.runId }).withMetadata({ resumed: true }), { ...settings, resume: records }).run();
  }

  /** Runs the workflow to its end and reports what happened. */
  async run(): Promise<WorkflowResult> {
    const external = this.settings.signal;
    const controller = this.controller;
    const onAbort = (): void => controller?.abort(new RunCancelledError(external?.reason));
    if (external !== null && controller !== null) {
      if (external.aborted) onAbort();
      else external.addEventListener('abort', onAbort, { once: true });
    }
    try {
      return await this.runSteps();
    } catch (error) {
      throw this.interruption(error);
    } finally {
      if (this.opened) await this.log.save();
      this.stopHeartbeat?.();
      external?.removeEventListener('abort', onAbort);
    }
  }

  private beginHeartbeat(): void {
    if (this.leaseOwner === null) return;
    this.stopHeartbeat = startHeartbeat(this.services.store, this.clock, this.services.lease, this.runId, this.lease);
  }

  private emit(...args: Parameters<RunEventLog['emit']>): void {
    this.log.emit(...args);
  }

  /** What a run that could not record its progress reports: the store failed, or the lease was lost. */
  private interruption(error: unknown): unknown {
    if (!this.opened || error instanceof LeaseLostError || (error instanceof SpineError && error.kind === 'run-interrupted')) return error;
    const at = this.currentStepName === null ? '' : ` at step "${this.currentStepName}"`;
    return new SpineError(
      'run-interrupted',
      `Run "${this.runId}" of workflow "${this.definition.name}" was interrupted${at}: the run store failed (${messageOf(error)}). ` +
        'Nothing of that step was recorded; resume the run once the store is back (spine.resume(runId)), or let recovery take it over when its lease expires.',
      { cause: error },
    );
  }

  private async runSteps(): Promise<WorkflowResult> {
    const { definition, settings, ledger } = this;
    const startedAt = this.clock.now();
    const started = performance.now();
    const steps = definition.steps;
    const index = stepIndex(definition);
    let ctx = this.initial;
    let i: number;
    if (settings.resume !== null) {
      await ledger.reopen(this.initial.params);
      this.opened = true;
      this.beginHeartbeat();
      ({ context: ctx, position: i } = ledger.replay(steps, settings.resume, this.initial));
      this.emit('run_resumed', steps[i]?.name, undefined, undefined, undefined);
    } else {
      const leaseExpiresAt = this.leaseOwner === null ? null : new Date(startedAt + this.services.lease.durationMs);
      const opened = await ledger.open(definition, this.initial, settings.parentRunId, startedAt, leaseExpiresAt);
      if (!opened.created) return resultOfEarlierRun(this.services.store, definition, ledger, opened.run, startedAt);
      this.opened = true;
      this.beginHeartbeat();
      this.emit('run_started', undefined, undefined, undefined, undefined);
      i = settings.startFrom === null ? 0 : index.get(settings.startFrom)!;
      for (let j = 0; j < i; j++) await this.skip(steps[j]!, j, `the run started from "${settings.startFrom}"`);
    }

    let status: RunOutcomeStatus = 'completed';
    let errorStep: string | null = null;
    let error: string | null = null;
    let errorCategory: ErrorCategory | null = null;

    while (i < steps.length) {
      const step = steps[i]!;
      if (this.lease.lost) throw new LeaseLostError(this.runId, this.leaseOwner!);
      if (this.runSignal.aborted || this.lease.cancelRequested) {
        status = 'cancelled';
        break;
      }
      if (settings.stopSignal?.aborted) {
        status = 'stopped';
        break;
      }
      if (settings.handoffSignal?.aborted) {
        if (this.canHandOff()) return this.handOff(ctx, startedAt, started);
        status = 'stopped';
        break;
      }
      if (ledger.executed >= definition.maxSteps) {
        status = 'failed';
        errorStep = step.name;
        errorCategory = ErrorCategory.CONFIGURATION;
        error =
          `Workflow "${definition.name}" reached its step budget of ${definition.maxSteps} step executions at step ` +
          `"${step.name}"; a choice or nextStep probably loops forever. Raise maxSteps if the loop is intended.`;
        break;
      }
      const unmet = ledger.unmetDependency(step);
      if (unmet !== undefined) {
        await this.skip(step, i, `its dependency "${unmet}" did not complete`);
        i++;
        continue;
      }
      const iteration = ledger.begin(i);
      this.currentStepName = step.name;
      const outcome = await this.executeStep(step, i, ctx, iteration, index);
      if (outcome.cancelled) {
        status = 'cancelled';
        break;
      }
      if (outcome.yielded === true) {
        if (settings.handoffSignal?.aborted && this.canHandOff()) return this.handOff(ctx, startedAt, started);
        status = 'stopped';
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
      for (let j = i + 1; j < target; j++) await this.skip(steps[j]!, j, `"${step.name}" routed to "${route}"`);
      i = target;
    }

    const finishedAt = this.clock.now();
    const durationMs = performance.now() - started;
    await ledger.close(status, finishedAt, durationMs, { step: errorStep, message: error, category: errorCategory });
    const runEvent: RunEventType =
      status === 'completed' ? 'run_completed' : status === 'failed' ? 'run_failed' : status === 'cancelled' ? 'run_cancelled' : 'run_stopped';
    this.emit(runEvent, errorStep ?? undefined, undefined, undefined, durationMs, {
      ...(error !== null && { error }),
      ...(errorCategory !== null && { errorCategory }),
    });
    return this.result(status, ctx, startedAt, finishedAt, durationMs, { step: errorStep, message: error, category: errorCategory });
  }

  /** What the run reports to its caller. */
  private result(
    status: WorkflowResult['status'],
    context: WorkflowContext,
    startedAt: number,
    finishedAt: number,
    durationMs: number,
    error: { step: string | null; message: string | null; category: ErrorCategory | null },
  ): WorkflowResult {
    const { ledger } = this;
    return {
      status,
      runId: this.runId,
      workflowName: this.definition.name,
      context,
      completedSteps: ledger.completed,
      failedSteps: ledger.failed,
      skippedSteps: ledger.skipped,
      totalSteps: this.definition.steps.length,
      executedSteps: ledger.executed,
      errorStep: error.step,
      error: error.message,
      errorCategory: error.category,
      startedAt: new Date(startedAt),
      finishedAt: new Date(finishedAt),
      durationMs,
      steps: ledger.executions,
      events: this.log.events,
      dryRun: this.dryRun,
      deduplicated: false,
    };
  }



  private canHandOff(): boolean {
    return this.leaseOwner !== null && this.opened && this.services.store.releaseLease !== undefined;
  }

  /**
   * Leaves the run running with its lease released: heartbeats stop first (a late renewal would
   * take the lease back), then the lease expires now, so any process's recovery continues the run
   * from its last step without waiting for the lease to run out.
   */
  private async handOff(ctx: WorkflowContext, startedAt: number, started: number): Promise<WorkflowResult> {
    this.stopHeartbeat?.();
    this.stopHeartbeat = null;
    await this.services.store.releaseLease!(this.runId, this.leaseOwner!);
    const durationMs = performance.now() - started;
    this.emit('run_handed_off', undefined, undefined, undefined, durationMs, { reason: 'lease released for another process to continue the run' });
    return this.result('running', ctx, startedAt, this.clock.now(), durationMs, { step: null, message: null, category: null });
  }

  /** Runs one step execution: attempts, retries, the quality gate, its records and events. */
  private async executeStep(
    step: StepDefinition,
    position: number,
    ctx: WorkflowContext,
    iteration: number,
    index: ReadonlyMap<string, number>,
  ): Promise<StepOutcome> {
    const key = `${this.runId}:${step.name}:${iteration}`;
    const stepCtx = ctx.forStep(step.name, key);
    const retry = step.retry ?? (step.onError === ErrorPolicy.RETRY ? this.services.defaultRetry : null);
    const timeoutMs = step.timeoutMs ?? this.services.defaultTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      this.emit('step_started', step.name, attempt, iteration, undefined);
      const startedAt = this.clock.now();
      const started = performance.now();
      let result = attemptStep(this, step, stepCtx, attempt, iteration, key, timeoutMs);
      if (isThenable(result)) result = await result;
      if (result === YIELDED) return { result, context: ctx, cancelled: false, yielded: true };
      if (step.quality !== null) {
        const gated = applyQualityGate(step, result);
        if (gated.warnings.length > 0) this.emit('quality_warning', step.name, attempt, iteration, undefined, { violations: gated.warnings });
        result = gated.result;
      }
      if (result.nextStep !== null) result = checkRoute(step, result, index);
      if (result.success && this.settings.persist) {
        const problem = this.services.store.checkStorable?.(step.name, result.output, result.contextUpdates) ?? null;
        if (problem !== null) result = StepResult.fail(problem, { category: ErrorCategory.VALIDATION, ...(result.quality !== null && { quality: result.quality }) });
      }
      let next = ctx;
      if (result.success) {
        try {
          const updates = result.contextUpdates === EMPTY_UPDATES ? undefined : result.contextUpdates;
          next = ctx.withStepOutput(step.name, result.output, updates, { lastCompletedStep: step.name, executedSteps: this.ledger.executed });
        } catch (error) {
          result = result.asFailure(messageOf(error), ErrorCategory.VALIDATION);
        }
      }
      const durationMs = performance.now() - started;
      const cancelled = this.runSignal.aborted;
      if (!result.success && !cancelled && retry !== null && retry.shouldRetry(result.errorCategory!, attempt)) {
        const delayMs = retry.delayAfter(attempt, this.services.random);
        const recorded = this.ledger.retried(step, iteration, attempt, key, startedAt, durationMs, result);
        if (recorded !== undefined) await recorded;
        this.emit('step_retried', step.name, attempt, iteration, durationMs, { error: result.error!, errorCategory: result.errorCategory!, delayMs });
        try {
          await this.clock.sleep(delayMs, this.runSignal);
        } catch {
          return { result, context: ctx, cancelled: true };
        }
        continue;
      }
      const recorded = this.ledger.settled(step, position, iteration, attempt, key, startedAt, durationMs, result);
      if (recorded !== undefined) await recorded;
      if (result.success) {
        this.emit('step_completed', step.name, attempt, iteration, durationMs);
      } else {
        this.emit('step_failed', step.name, attempt, iteration, durationMs, { error: result.error!, errorCategory: result.errorCategory! });
      }
      return { result, context: next, cancelled };
    }
  }

  private async skip(step: StepDefinition, position: number, reason: string): Promise<void> {
    const recorded = this.ledger.skip(step, position, reason, this.clock.now());
    if (recorded !== undefined) await recorded;
    this.emit('step_skipped', step.name, undefined, undefined, undefined, { reason });
  }

}

