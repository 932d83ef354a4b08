import type { Clock } from '../clock/clock.port';
import type { WorkflowContext } from '../context/workflow-context';
import type { RunScope, StepDefinition, StepRuntime } from '../definition/step-definition';
import { END, type WorkflowDefinition } from '../definition/workflow-definition';
import { messageOf } from '../errors/step-error';
import { LeaseLostError, SpineError } from '../errors/spine-error';
import { ErrorCategory } from '../policy/error-category';
import { ErrorPolicy } from '../policy/error-policy';
import type { Dispatcher } from '../pipeline/pipeline.types';
import { StepResult } from '../result/step-result';
import type { Fence, MapItemRecord, RunOutcomeStatus, StepCommit } from '../store/records/run-record';
import type { RunEvent, RunEventInit } from './run-event';
import { RunEventLog } from './run-event-log';
import { RunTimeoutError } from '../errors/step-timeout.error';
import { checkStepEvents } from './step-events';
import { partitionLabel, type AttemptTrace, type AttemptTraceOutcome, type RunTrace, type RunTraceInfo } from './run-telemetry';
import { resultOfEarlierRun } from './earlier-run.result';
import { LeaseGuard } from './lease-guard';
import { watchQuality } from './quality-watch';
import { lostExecutions, poisonStepMessage } from './lost-executions';
import { attemptStep, type AttemptEnvironment } from './step-attempt';
import { isThenable } from './thenable';
import { PARKED, YIELDED } from './yielded.result';
import { approvalSignal, NO_DEADLINE } from './signal-wait';
import type { SignalRecord } from '../store/records/signal-record';
import type { SpineStore } from '../store/ports/spine-store';
import { applyQualityGate, checkRoute, EMPTY_UPDATES, storableResult } from './step-outcome';
import type { StepMiddleware } from './step-middleware';
import type { WorkflowResult } from './workflow-result';
import { RunLedger, type Recorded, type RunError } from './run-ledger';
import { LazyRunScope } from './run-scope';
import type { RunnerServices, RunSettings } from './run-settings';
import { maybeYieldToEventLoop } from './event-loop';
import { RunControl } from './run-control';
// map-item.run builds RunExecutions of its own (each side uses the other only when called)
import { runMapItem } from './map-item.run';

export type { RunnerServices, RunSettings } from './run-settings';
export type { LeaseSettings } from './lease-guard';

interface StepOutcome {
  readonly result: StepResult;
  readonly context: WorkflowContext;
  readonly cancelled: boolean;
  /** The step gave way (a stop or hand-off during a wait or map, or its map halted it): nothing was recorded for it. */
  readonly yielded?: boolean;
  /** The run parked in the step (see `park`). */
  readonly parked?: boolean;
  /** The workflow's run timeout ran out during the step (recorded failed with TIMEOUT). */
  readonly timedOut?: boolean;
}

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
  /** The claim this run's writes are made under (its top-level run's, for a map item); null when unleased. */
  readonly fence: Fence | null;
  /** The guard of that claim: this run's own (top-level) or its top-level run's (map item). */
  readonly guard: LeaseGuard | null;
  /** Cancels, halts (a map item) or ends (a lost claim) the run; the running step's signal follows it. */
  private readonly control: RunControl;
  private readonly ownsGuard: boolean;
  private readonly log: RunEventLog;
  private readonly ledger: RunLedger;
  /** True once the run exists in the store (a failure after that leaves it interrupted). */
  private opened = false;
  private currentStepName: string | null = null;
  /** A run a worker claimed from a queue: its run events name the queue. */
  private get claimedFrom(): { queue?: string } {
    const queue = this.parkAfterMs === null ? null : (this.settings.resume?.run.queue ?? null);
    return queue === null ? {} : { queue };
  }
  /** When a step parked the run: its wake-up time. */
  private parkedUntil: number | null = null;
  /** When it parked waiting for a signal: the signal's name (a signal that came meanwhile wakes it at once). */
  private parkedFor: string | null = null;
  readonly store: SpineStore;
  readonly parkAfterMs: number | null;
  readonly wokeFromPark: boolean;

  constructor(
    readonly services: RunnerServices,
    private readonly definition: WorkflowDefinition,
    private readonly initial: WorkflowContext,
    readonly settings: RunSettings,
  ) {
    this.runId = initial.runId;
    this.dispatcher = services.dispatcher;
    this.clock = services.clock;
    this.dryRun = settings.dryRun;
    this.control = new RunControl(settings, definition.timeoutMs !== null);
    this.runSignal = this.control.signal;
    // a run with a deadline races its steps against it: at the deadline the run fails at once, naming
    // the running step, whatever that step does with its aborted signal
    this.cancellable = settings.raceAborts || definition.timeoutMs !== null;
    const { stopSignal, handoffSignal } = settings;
    this.yieldSignal = stopSignal !== null && handoffSignal !== null ? AbortSignal.any([stopSignal, handoffSignal]) : (stopSignal ?? handoffSignal);
    this.workflowName = definition.name;
    this.middleware = services.middleware;
    this.store = services.store;
    this.parkAfterMs = settings.parkAfterMs;
    this.wokeFromPark = settings.resume?.run.status === 'waiting';
    this.ownsGuard = settings.persist && settings.leased;
    if (this.ownsGuard) {
      const claim = settings.resume?.claim ?? { epoch: 1, at: services.clock.now() };
      this.fence = { runId: this.runId, epoch: claim.epoch, owner: services.lease.owner };
      // the claim is stale or the run was asked to cancel: the running step's signal is aborted at once
      const listener = { lost: (error: LeaseLostError): void => this.control.lose(error), cancelRequested: (): void => this.control.cancel() };
      const queueRun = settings.parkAfterMs !== null && settings.resume?.run.queue != null;
      this.guard = new LeaseGuard(this.fence, services.store.leases, services.clock, services.lease, listener, claim.at, queueRun);
    } else {
      // a map item runs under its parent's claim, recorded as a run or not (an item row): its steps see that epoch
      this.guard = settings.guard;
      this.fence = this.guard?.fence ?? null;
    }
    this.ledger = new RunLedger(this.runId, settings.persist ? services.store.journal : null, stepIndex(definition), this.fence, definition.checkpointEvery);
    const savesEvents = settings.persist && typeof services.store.journal.recordEvents === 'function';
    this.log = new RunEventLog(
      { runId: this.runId, traceId: initial.traceId, workflow: definition.name, parentRunId: settings.parentRunId },
      services.clock,
      settings.keepEvents,
      services.onEvent,
      savesEvents ? services.store.journal : null,
      this.fence,
      services.logger,
    );
  }

  /** Cancels the run: it stops at its next step boundary, and its running step's signal is aborted now. */
  cancel(reason?: unknown): void {
    this.control.cancel(reason);
  }

  /** The epoch of the claim this run executes under (0 when it has none). */
  get epoch(): number {
    return this.fence?.epoch ?? 0;
  }

  iteratorWorkflow(iterator: WorkflowDefinition | StepDefinition | string): WorkflowDefinition {
    return this.services.iteratorWorkflow(iterator);
  }

  itemParams(iterator: WorkflowDefinition, parent: WorkflowContext, params: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> | Promise<Readonly<Record<string, unknown>>> {
    const validator = this.services.itemParamsValidator;
    return validator === null ? params : validator(iterator, { ...parent.params, ...params });
  }

  mapProgress(step: string, done: number, failed: number, total: number): void {
    this.log.progress(step, done, failed, total);
  }

  /** Before a map item starts: the event loop gets its turn now and then, and the claim must still be held. */
  beforeItem(): void | Promise<void> {
    const yielded = maybeYieldToEventLoop();
    if (yielded !== undefined) return yielded.then(() => this.guard?.ensureHeld());
    return this.guard?.ensureHeld();
  }

  async wakeAt(step: StepDefinition, runtime: StepRuntime, until: number): Promise<number> {
    const recorded = this.ledger.wakes.get(runtime.idempotencyKey);
    if (recorded !== undefined) return recorded;
    const iteration = Number(runtime.idempotencyKey.slice(runtime.idempotencyKey.lastIndexOf(':') + 1));
    await this.committed(this.ledger.waiting(step, iteration, runtime.idempotencyKey, this.clock.now(), until));
    this.ledger.wakes.set(runtime.idempotencyKey, until);
    return until;
  }

  park(wakeAt: number): StepResult {
    this.parkedUntil = wakeAt;
    return PARKED;
  }

  async signalDeadline(step: StepDefinition, runtime: StepRuntime, signal: string, timeoutMs: number | null, violations?: readonly string[]): Promise<number | null> {
    const key = runtime.idempotencyKey;
    const recorded = this.ledger.wakes.get(key);
    if (recorded !== undefined) return Number.isFinite(recorded) ? recorded : null;
    const now = this.clock.now();
    const deadline = timeoutMs === null ? null : now + timeoutMs;
    const iteration = Number(key.slice(key.lastIndexOf(':') + 1));
    await this.committed(this.ledger.waiting(step, iteration, key, now, deadline, signal));
    this.ledger.wakes.set(key, deadline ?? Number.POSITIVE_INFINITY);
    this.emit({
      type: 'signal_waiting',
      step: step.name,
      signal,
      ...(deadline !== null && { until: new Date(deadline).toISOString() }),
      ...(violations !== undefined && { violations }),
    });
    return deadline;
  }

  async receiveSignal(signal: string, consumer: string, deadline: number | null, abort: AbortSignal): Promise<SignalRecord | 'timeout' | StepResult> {
    const { signals, queue, name } = this.services.store;
    if (signals === null) {
      // Spine.create refuses such a workflow at start-up; a bare WorkflowRunner meets it here
      return StepResult.fail(`the ${name} store cannot keep signals, so the signal "${signal}" can never arrive; use the in-memory store or a database`, {
        category: ErrorCategory.CONFIGURATION,
      });
    }
    for (;;) {
      const received = await signals.consumeSignal(this.runId, signal, consumer, this.fence, new Date(this.clock.now()));
      if (received !== null) {
        this.emit({ type: 'signal_received', ...this.atStep(), signal });
        return received;
      }
      const now = this.clock.now();
      if (deadline !== null && now >= deadline) return 'timeout';
      // a worker's run parks until the deadline; a signal sent meanwhile makes it due at once
      if (this.parkAfterMs !== null && queue !== null) {
        this.parkedUntil = deadline ?? NO_DEADLINE;
        this.parkedFor = signal;
        return PARKED;
      }
      const yielding = this.yieldSignal;
      if (yielding?.aborted) return YIELDED;
      const poll = this.services.signalPollMs;
      const waitMs = Math.min(poll, deadline === null ? poll : deadline - now);
      try {
        await this.services.signals.wait(this.clock, this.runId, waitMs, yielding === null ? abort : AbortSignal.any([abort, yielding]));
      } catch (error) {
        if (abort.aborted || !yielding?.aborted) throw error;
        return YIELDED;
      }
    }
  }

  /** Runs a map item as a child run (see `map-item.run.ts`). */
  runChild(definition: WorkflowDefinition, ctx: WorkflowContext, signal: AbortSignal, asRow = false): Promise<WorkflowResult> {
    return runMapItem(this, (d, c, s) => new RunExecution(this.services, d, c, s).run(), definition, ctx, signal, !asRow);
  }

  itemRows(iterator: WorkflowDefinition): boolean {
    if (!this.settings.persist) return false;
    const only = iterator.steps.length === 1 ? iterator.steps[0]! : null;
    return only !== null && (only.type === 'lambda' || only.type === 'pipeline');
  }

  listMapItems(step: string, iteration: number): Promise<MapItemRecord[]> {
    return this.store.journal.listMapItems(this.runId, step, iteration);
  }

  recordMapItem(item: MapItemRecord): void | Promise<void> {
    return this.store.journal.recordMapItem(item, this.fence);
  }

  /** The top-level run this run belongs to (itself, for a top-level run). */
  get rootRunId(): string {
    return this.settings.rootRunId ?? this.runId;
  }

  /** This execution's trace (null: not traced). */
  private trace: RunTrace | null = null;
  /** The span of the step attempt running now, and when it began. */
  private attemptSpan: AttemptTrace | null = null;
  private attemptStarted = 0;

  private openAttempt(step: StepDefinition, attempt: number, iteration: number): AttemptTrace {
    this.attemptSpan = this.trace!.startAttempt({ step: step.name, type: step.type, attempt, iteration });
    this.attemptStarted = performance.now();
    return this.attemptSpan;
  }

  private closeAttempt(status: AttemptTraceOutcome['status'], result: StepResult | null): void {
    const span = this.attemptSpan;
    if (span === null) return;
    this.attemptSpan = null;
    const failed = result !== null && !result.success;
    span.end({
      status,
      durationMs: performance.now() - this.attemptStarted,
      error: failed ? result.error : null,
      errorCategory: failed ? result.errorCategory : null,
      quality: result?.quality ?? null,
    });
  }

  /** What the telemetry is told of this execution. */
  private traceInfo(): RunTraceInfo {
    const { settings, initial } = this;
    const stored = settings.resume?.run ?? null;
    return {
      workflow: this.definition.name,
      runId: this.runId,
      parentRunId: settings.parentRunId,
      trigger: settings.trigger?.source ?? stored?.triggerSource ?? null,
      partitionKey: partitionLabel(initial.partition),
      queue: stored?.queue ?? null,
      resumed: settings.resume !== null && settings.resume.firstStart !== true,
      traceparent: settings.parentRunId === null ? (stored?.traceparent ?? null) : null,
    };
  }

  /** Runs the workflow to its end and reports what happened. */
  async run(): Promise<WorkflowResult> {
    this.trace = this.settings.trace ?? this.services.telemetry?.startRun(this.traceInfo()) ?? null;
    if (this.trace === null) return this.runTraced();
    const started = performance.now();
    try {
      const result = await this.runTraced();
      this.trace.end({ status: result.status, durationMs: result.durationMs, error: result.error, errorCategory: result.errorCategory });
      return result;
    } catch (error) {
      this.closeAttempt('yielded', null);
      this.trace.end({ status: 'interrupted', durationMs: performance.now() - started, error: messageOf(error) });
      throw error;
    }
  }

  private async runTraced(): Promise<WorkflowResult> {
    const unfollow = this.control.follow(this.settings.signal);
    // a map item of a workflow with a deadline has its own (its map's run's deadline reaches it through the map's signal)
    const limit = this.definition.timeoutMs;
    // on the run's clock: a test's fake time moves the deadline too
    const cancelTimer = limit === null ? null : this.clock.setTimer(limit, () => this.control.timeOut(new RunTimeoutError(this.definition.name, limit)));
    try {
      return await this.runSteps();
    } catch (error) {
      throw await this.interruption(error);
    } finally {
      cancelTimer?.();
      if (this.ownsGuard) this.guard?.stop();
      await this.ledger.settle();
      if (this.opened) await this.log.save();
      unfollow();
    }
  }

  private emit(init: RunEventInit): void {
    this.log.emit(init);
  }

  /** The step running now, as an event names it (nothing between steps). */
  private atStep(): { readonly step?: string } {
    return this.currentStepName === null ? {} : { step: this.currentStepName };
  }

  /**
   * What a run that could not go on reports: its claim went stale (`LeaseLostError`), or the store
   * failed (the cause is noted on the run, best effort, for whoever takes it over).
   */
  private async interruption(error: unknown): Promise<unknown> {
    if (error instanceof LeaseLostError) return this.guard === null ? error : this.guard.lose(error);
    if (this.guard?.lost) return this.guard.lost;
    if (!this.opened) return error;
    const interrupted =
      error instanceof SpineError && error.kind === 'run-interrupted'
        ? error
        : new SpineError(
            'run-interrupted',
            `Run "${this.runId}" of workflow "${this.definition.name}" was interrupted${this.currentStepName === null ? '' : ` at step "${this.currentStepName}"`}: ` +
              `the run store failed (${messageOf(error)}). Nothing of that step was recorded; resume the run once the store is back ` +
              '(spine.resume(runId)), or let recovery take it over when its lease expires.',
            { cause: error },
          );
    await this.services.store.journal.recordInterruption(this.runId, this.fence, this.currentStepName, interrupted.message).catch(() => undefined);
    return interrupted;
  }

  /** Waits for a step write and notes a cancellation request it reported. */
  private committed(recorded: Recorded): void | Promise<void> {
    if (recorded === undefined) return;
    if (isThenable(recorded)) return recorded.then((commit) => this.noteCommit(commit));
    this.noteCommit(recorded);
  }

  private noteCommit(commit: StepCommit): void {
    if (commit === 'cancel-requested') {
      if (this.guard !== null) this.guard.noteCancel();
      else this.cancel();
    }
  }

  private async runSteps(): Promise<WorkflowResult> {
    const { definition, settings, ledger } = this;
    const startedAt = this.clock.now();
    const started = performance.now();
    const steps = definition.steps;
    const index = stepIndex(definition);
    let ctx = this.initial;
    let i: number;
    let status: RunOutcomeStatus = 'completed';
    let errorStep: string | null = null;
    let error: string | null = null;
    let errorCategory: ErrorCategory | null = null;

    if (settings.resume !== null) {
      ({ context: ctx, position: i } = ledger.replay(steps, settings.resume.records, this.initial));
      const lost = lostExecutions(settings.resume, steps[i], ledger.nextIteration(i));
      // a queued run's first start: its claim already made it running, there is nothing to reopen
      if (settings.resume.firstStart !== true) await ledger.reopen(this.initial.params, lost);
      this.opened = true;
      if (this.ownsGuard) this.guard!.start();
      const at = steps[i]?.name;
      this.emit({
        type: settings.resume.firstStart === true ? 'run_started' : 'run_resumed',
        ...(at !== undefined && { step: at }),
        ...(this.fence !== null && { epoch: this.fence.epoch }),
        ...this.claimedFrom,
      });
      if (settings.startFrom !== null) i = await this.jumpTo(i, index.get(settings.startFrom)!, `the run was resumed from "${settings.startFrom}"`);
      if (lost.count >= this.services.maxLostExecutions) {
        const step = steps[i]!;
        status = 'failed';
        errorStep = step.name;
        errorCategory = ErrorCategory.INTERNAL;
        error = poisonStepMessage(this.runId, step, lost.count, settings.resume.run.error);
        i = steps.length;
      }
    } else {
      const lease = this.ownsGuard ? { owner: this.fence!.owner, expiresAt: new Date(startedAt + this.services.lease.durationMs) } : null;
      const family = { parentRunId: settings.parentRunId, rootRunId: settings.rootRunId };
      const opened = await ledger.open(
        definition,
        this.initial,
        family,
        startedAt,
        lease,
        this.settings.trigger,
        this.settings.traceparent ?? this.trace?.traceparent ?? null,
        this.services.appVersion,
      );
      if (!opened.created) return resultOfEarlierRun(this.services.store.journal, definition, ledger, opened.run, startedAt);
      this.opened = true;
      if (this.ownsGuard) this.guard!.start();
      this.emit(this.fence === null ? { type: 'run_started' } : { type: 'run_started', epoch: this.fence.epoch });
      i = settings.startFrom === null ? 0 : index.get(settings.startFrom)!;
      // a run started from a given context: the steps before startFrom keep that context's outputs on their skipped rows
      const seeded = settings.seeded === true ? this.initial : null;
      for (let j = 0; j < i; j++) {
        const name = steps[j]!.name;
        const output = seeded?.stepOutputs[name];
        const why = output === undefined ? `the run started from "${settings.startFrom}"` : `the run started from "${settings.startFrom}" with its output taken from a given context`;
        // a JSON copy: what the row keeps, made here (a context rebuilt elsewhere may hold values of another realm)
        await this.skip(steps[j]!, j, why, output === undefined ? undefined : (JSON.parse(JSON.stringify(output)) as Record<string, unknown>));
      }
    }

    while (i < steps.length) {
      const step = steps[i]!;
      const yielded = maybeYieldToEventLoop();
      if (yielded !== undefined) await yielded;
      if (this.guard !== null) {
        const held = this.guard.ensureHeld();
        if (held !== undefined) await held;
      }
      const halt = this.control.halt(this.guard);
      if (halt === 'handoff') {
        if (this.canHandOff()) return this.handOff(ctx, startedAt, started);
        status = 'stopped';
        break;
      }
      if (halt === 'timeout') {
        ({ status, errorStep, error, errorCategory } = this.timedOut(step.name));
        break;
      }
      if (halt !== null) {
        status = halt;
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
      if (this.attemptSpan !== null) {
        const r = outcome.result;
        this.closeAttempt(outcome.yielded === true ? 'yielded' : r.skipped !== null ? 'skipped' : r.success ? 'completed' : 'failed', r);
      }
      if (outcome.cancelled) {
        status = 'cancelled';
        break;
      }
      if (outcome.parked === true) return this.parkHere(ctx, startedAt, started);
      if (outcome.timedOut === true) {
        ({ status, errorStep, error, errorCategory } = this.timedOut(step.name));
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

    // a cancel accepted before the last step committed (that commit reported it, or it reached this
    // process while the step ran) ends the run cancelled, not completed
    if (status === 'completed' && this.control.halt(this.guard) === 'cancelled') status = 'cancelled';
    if (status === 'completed' && ledger.partial()) status = 'partial';
    const finishedAt = this.clock.now();
    const durationMs = performance.now() - started;
    if (this.ownsGuard) this.guard!.stop();
    const at = { ...(errorStep !== null && { step: errorStep }), durationMs, ...this.claimedFrom };
    const failure = { ...(error !== null && { error }), ...(errorCategory !== null && { errorCategory }) };
    const end = this.log.make(
      status === 'completed' || status === 'partial'
        ? { type: 'run_completed', ...at, ...(status === 'partial' && { partial: true, failedSteps: [...ledger.failed], ...this.failedItems() }) }
        : status === 'failed'
          ? { type: 'run_failed', ...at, ...failure }
          : status === 'cancelled'
            ? { type: 'run_cancelled', ...at, ...failure }
            : { type: 'run_stopped', ...at, ...failure },
    );
    // the run's events go with its finish, in one transaction; listeners hear of the end once it is recorded
    await ledger.close(status, finishedAt, durationMs, { step: errorStep, message: error, category: errorCategory }, this.log.drain(end));
    if (end !== null) this.log.dispatch(end, false);
    return this.result(status, ctx, startedAt, finishedAt, durationMs, { step: errorStep, message: error, category: errorCategory });
  }

  /** What the run reports to its caller. */
  private result(status: WorkflowResult['status'], context: WorkflowContext, startedAt: number, finishedAt: number, durationMs: number, error: RunError): WorkflowResult {
    return this.ledger.result({
      status,
      runId: this.runId,
      workflowName: this.definition.name,
      context,
      totalSteps: this.definition.steps.length,
      executedSteps: this.ledger.executed,
      error,
      startedAt: new Date(startedAt),
      finishedAt: new Date(finishedAt),
      durationMs,
      events: this.log.events,
      dryRun: this.dryRun,
      deduplicated: false,
    });
  }

  private canHandOff(): boolean {
    return this.ownsGuard && this.opened;
  }

  /**
   * Leaves the run running with its lease released: heartbeats stop first (a late renewal would
   * take the lease back), then the lease expires now, so any process's recovery continues the run
   * from its last step without waiting for the lease to run out.
   */
  private async handOff(ctx: WorkflowContext, startedAt: number, started: number): Promise<WorkflowResult> {
    this.guard!.stop();
    await this.services.store.leases.releaseLease(this.runId, this.fence!);
    const durationMs = performance.now() - started;
    this.emit({ type: 'run_handed_off', durationMs, reason: 'lease released for another process to continue the run', ...this.claimedFrom });
    return this.result('running', ctx, startedAt, this.clock.now(), durationMs, { step: null, message: null, category: null });
  }

  /**
   * Parks the run in the step that asked for it: heartbeats stop, the run becomes 'waiting' with
   * its lease released until the wake-up time (under its fence), and this execution ends; any
   * worker claims it then and runs the step again (a wait finds its recorded wake-up time).
   */
  private async parkHere(ctx: WorkflowContext, startedAt: number, started: number): Promise<WorkflowResult> {
    const wakeAt = this.parkedUntil!;
    this.guard!.stop();
    const { queue, signals } = this.services.store;
    // only a worker's run parks, and workers need a queue
    await queue!.parkRun(this.runId, this.fence!, new Date(wakeAt), this.parkedFor);
    // a signal sent between the step's look and the park found the run still running: wake it now
    // (a signal sent after the park made it due itself)
    const awaited = this.parkedFor;
    if (awaited !== null && signals !== null) {
      const pending = (await signals.listSignals(this.runId)).some((s) => s.name === awaited && s.consumedBy === null);
      if (pending) await signals.wakeRun(this.runId, new Date(this.clock.now()));
    }
    const durationMs = performance.now() - started;
    const until = wakeAt >= NO_DEADLINE ? '' : ` until ${new Date(wakeAt).toISOString()}`;
    const reason = awaited === null ? `until ${new Date(wakeAt).toISOString()}` : `for signal "${awaited}"${until}`;
    this.emit({ type: 'run_parked', ...this.atStep(), durationMs, reason, ...this.claimedFrom });
    return this.result('waiting', ctx, startedAt, this.clock.now(), durationMs, { step: null, message: null, category: null });
  }

  /** Runs one step execution: attempts, retries, the quality gate, its records and events. */
  private async executeStep(step: StepDefinition, position: number, ctx: WorkflowContext, iteration: number, index: ReadonlyMap<string, number>): Promise<StepOutcome> {
    const key = `${this.runId}:${step.name}:${iteration}`;
    const stepCtx = ctx.forStep(step.name, key);
    const retry = step.retry ?? (step.onError === ErrorPolicy.RETRY ? this.services.defaultRetry : null);
    const timeoutMs = step.timeoutMs ?? this.services.defaultTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      this.emit({ type: 'step_started', step: step.name, attempt, iteration });
      const startedAt = this.clock.now();
      const started = performance.now();
      const span = this.trace === null ? null : this.openAttempt(step, attempt, iteration);
      let result = span === null ? attemptStep(this, step, stepCtx, attempt, iteration, key, timeoutMs) : span.run(() => attemptStep(this, step, stepCtx, attempt, iteration, key, timeoutMs));
      if (isThenable(result)) result = await result;
      if (result === YIELDED) return { result, context: ctx, cancelled: false, yielded: true };
      if (result === PARKED) return { result, context: ctx, cancelled: false, yielded: true, parked: true };
      // aborted meanwhile: a lost claim throws, a halted map item gives way unrecorded (a re-run runs the step again), a cancel is recorded
      const aborted = this.runSignal.aborted ? this.control.abortedAs() : null;
      const cancelled = aborted === 'cancelled';
      if (aborted === 'stopped') return { result, context: ctx, cancelled: false, yielded: true };
      // the run timed out while the step ran: a step that failed (its signal was aborted) is recorded
      // as failed with TIMEOUT and ends the run; one that finished anyway is kept, and the run ends at
      // the next step boundary
      if (aborted === 'timeout' && !result.success) {
        result = result.asFailure(`${messageOf(this.runSignal.reason)} during step "${step.name}": ${result.error}`, ErrorCategory.TIMEOUT);
        const durationMs = performance.now() - started;
        await this.committed(this.ledger.settled(step, position, iteration, attempt, key, startedAt, durationMs, result, null));
        this.emit({ type: 'step_failed', step: step.name, attempt, iteration, durationMs, error: result.error!, errorCategory: ErrorCategory.TIMEOUT });
        return { result, context: ctx, cancelled: false, timedOut: true };
      }
      const tooMany = checkStepEvents(step.name, result.events);
      if (tooMany !== null) result = result.asFailure(tooMany, ErrorCategory.VALIDATION);
      // a step's own skip: no quality gate (it handled no data), its route checked like any
      if (result.skipped !== null && result.nextStep !== null) result = checkRoute(step, result, index);
      if (result.skipped !== null) {
        await this.skip(step, position, result.skipped, undefined, result.nextStep ?? step.next, { iteration, attempt, durationMs: performance.now() - started });
        if (result.events.length > 0) await this.stepEvents(step, attempt, iteration, result);
        return { result, context: ctx, cancelled };
      }
      if (step.quality !== null) {
        const gated = applyQualityGate(step, result);
        // an 'approve' gate's breaches go with its signal_waiting event
        if (gated.warnings.length > 0 && gated.approval !== true) this.emit({ type: 'quality_warning', step: step.name, attempt, iteration, violations: gated.warnings });
        result = gated.result;
        if (gated.approval) {
          const decided = await this.awaitApproval(step, key, result, gated.warnings);
          if (decided === YIELDED) return { result: decided, context: ctx, cancelled: false, yielded: true };
          if (decided === PARKED) return { result: decided, context: ctx, cancelled: false, yielded: true, parked: true };
          result = decided;
        }
      }
      if (result.nextStep !== null) result = checkRoute(step, result, index);
      if (this.settings.persist) result = storableResult(this.services.store.journal, step, result);
      let next = ctx;
      if (result.success) {
        try {
          const updates = result.contextUpdates === EMPTY_UPDATES ? undefined : result.contextUpdates;
          next = ctx.withStepOutput(step.name, result.output, updates, { lastCompletedStep: step.name, executedSteps: this.ledger.executed });
          // the design's with_quality: later steps see what this one reported
          if (result.quality !== null) next = next.withQuality(step.name, result.quality);
        } catch (error) {
          result = result.asFailure(messageOf(error), ErrorCategory.VALIDATION);
        }
      }
      const durationMs = performance.now() - started;
      if (!result.success && !cancelled && retry !== null && retry.shouldRetry(result.errorCategory!, attempt)) {
        const delayMs = retry.delayAfter(attempt, this.services.random);
        await this.committed(this.ledger.retried(step, iteration, attempt, key, startedAt, durationMs, result));
        if (tooMany === null && result.events.length > 0) await this.stepEvents(step, attempt, iteration, result);
        this.closeAttempt('retried', result);
        this.emit({ type: 'step_retried', step: step.name, attempt, iteration, durationMs, error: result.error!, errorCategory: result.errorCategory!, delayMs });
        try {
          await this.clock.sleep(delayMs, this.runSignal);
        } catch {
          const why = this.control.abortedAs();
          if (why === 'stopped') return { result, context: ctx, cancelled: false, yielded: true };
          if (why === 'timeout') {
            result = result.asFailure(`${messageOf(this.runSignal.reason)} while step "${step.name}" waited to retry: ${result.error}`, ErrorCategory.TIMEOUT);
            await this.committed(this.ledger.settled(step, position, iteration, attempt, key, startedAt, durationMs, result, null));
            return { result, context: ctx, cancelled: false, timedOut: true };
          }
          return { result, context: ctx, cancelled: true };
        }
        continue;
      }
      await this.committed(this.ledger.settled(step, position, iteration, attempt, key, startedAt, durationMs, result, result.success ? next : null));
      if (tooMany === null && result.events.length > 0) await this.stepEvents(step, attempt, iteration, result);
      if (result.success) {
        this.emit({ type: 'step_completed', step: step.name, attempt, iteration, durationMs });
        if (result.quality !== null) await watchQuality(this.services, this.definition, this.runId, step.name, result.quality, (init) => this.emit({ ...init, attempt, iteration }));
      } else {
        this.emit({ type: 'step_failed', step: step.name, attempt, iteration, durationMs, error: result.error!, errorCategory: result.errorCategory! });
      }
      return { result, context: next, cancelled };
    }
  }

  /**
   * An 'approve' quality gate breached: the run waits for the signal `approval:<step>` (parked, in
   * a worker's run: the step runs again when it wakes). Approved: the step's result as it is (its
   * breaches recorded); rejected: the step fails with DATA_QUALITY, naming the breaches and the note.
   */
  private async awaitApproval(step: StepDefinition, key: string, result: StepResult, violations: readonly string[]): Promise<StepResult> {
    const signal = approvalSignal(step.name);
    const runtime = { signal: this.runSignal, attempt: 1, idempotencyKey: key, scope: this.scope, epoch: this.epoch };
    await this.signalDeadline(step, runtime, signal, null, violations);
    const received = await this.receiveSignal(signal, key, null, this.runSignal);
    if (received instanceof StepResult) return received;
    if (received === 'timeout') return result; // no deadline: never
    const decision = received.payload as { approved?: unknown; note?: unknown; by?: unknown } | null;
    const note = typeof decision?.note === 'string' && decision.note.length > 0 ? ` (${decision.note})` : '';
    const by = typeof decision?.by === 'string' && decision.by.length > 0 ? ` by ${decision.by}` : '';
    if (decision?.approved === true) return result;
    const why = decision?.approved === false ? `rejected${by}${note}` : `the approval signal's payload was not { approved: true | false } (got ${JSON.stringify(received.payload)})`;
    return result.asFailure(`Quality gate of step "${step.name}" failed: ${violations.join('; ')}; ${why}`, ErrorCategory.DATA_QUALITY);
  }

  private async skip(
    step: StepDefinition,
    position: number,
    reason: string,
    seededOutput?: Readonly<Record<string, unknown>>,
    route: string | null = null,
    execution: { readonly iteration: number; readonly attempt: number; readonly durationMs: number } | null = null,
  ): Promise<void> {
    await this.committed(this.ledger.skip(step, position, reason, this.clock.now(), seededOutput, route, execution));
    this.emit({ type: 'step_skipped', step: step.name, reason });
  }

  /**
   * The events a step's result carries: each goes to the result's events, `onEvent` and the store
   * (a `step_event` tied to run, step and attempt), saved once the step is recorded.
   */
  private async stepEvents(step: StepDefinition, attempt: number, iteration: number, result: StepResult): Promise<void> {
    if (result.events.length === 0) return;
    for (const event of result.events) this.emit({ type: 'step_event', step: step.name, attempt, iteration, event });
    await this.log.save();
  }

  /**
   * A resume told where to start (`startFrom`): forward, the steps in between are recorded as
   * skipped; backward, the steps from there run again (new iterations).
   */
  private async jumpTo(from: number, to: number, reason: string): Promise<number> {
    const steps = this.definition.steps;
    for (let j = from; j < to; j++) await this.skip(steps[j]!, j, reason);
    return to;
  }

  /** A step returned after its attempt ended at a deadline: its result is refused; the run's log says it came (best effort: the run may have ended). */
  lateResult(step: StepDefinition, attempt: number, iteration: number, outcome: 'completed' | 'failed', deadline: unknown): void {
    const event: RunEvent = {
      type: 'step_late_result',
      runId: this.runId,
      traceId: this.initial.traceId,
      workflow: this.workflowName,
      timestamp: this.clock.now(),
      step: step.name,
      attempt,
      iteration,
      outcome,
      reason: `${messageOf(deadline)}; the step returned ${outcome === 'completed' ? 'a result' : 'an error'} afterwards, refused`,
    };
    const tell = async (): Promise<void> => {
      if (this.settings.persist && !this.dryRun) await this.store.journal.recordEvents([event], null);
      this.services.onEvent?.(event);
    };
    tell().catch((error: unknown) => this.services.logger.warn({ runId: this.runId, step: step.name }, `recording the late result of step "${step.name}" failed: ${messageOf(error)}`));
  }

  /** How a run whose timeout ran out ends. */
  private timedOut(stepName: string): { status: RunOutcomeStatus; errorStep: string; error: string; errorCategory: ErrorCategory } {
    const reason = this.runSignal.reason;
    const error = `${messageOf(reason)}; it was at step "${stepName}". Resume the run to continue from there.`;
    return { status: 'failed', errorStep: stepName, error, errorCategory: ErrorCategory.TIMEOUT };
  }

  /** A partial run's map steps with failed items, for its end event. */
  private failedItems(): { failedItems?: Record<string, number> } {
    const out: Record<string, number> = {};
    for (const execution of this.ledger.executions) {
      if (execution.type === 'map' && execution.status === 'completed' && (execution.quality?.invalidCount ?? 0) > 0) out[execution.name] = execution.quality!.invalidCount;
    }
    return Object.keys(out).length === 0 ? {} : { failedItems: out };
  }
}
