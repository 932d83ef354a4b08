import { overrideBy, overrideEvent, OverrideReplay } from './params-overrides';
import { qualityHook } from './quality-watch';
import { qualityTrendOptions } from '../quality/quality-trend';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { SystemClock, type Clock } from '../clock/clock.port';
import { reachedEnd, type CheckpointSnapshot, type RunRecord } from '../store/records/run-record';
import { WorkflowContext } from '../context/workflow-context';
import type { StepDefinition } from '../definition/step-definition';
import { compileWorkflow } from '../definition/workflow.compiler';
import type { WorkflowDeclaration, WorkflowDefinition, WorkflowLookup } from '../definition/workflow-definition';
import { SpineError, WorkflowDefinitionError } from '../errors/spine-error';
import { workflowHash } from '../definition/workflow-spec';
import { InProcessDispatcher } from '../pipeline/in-process.dispatcher';
import { PipelineRegistry } from '../pipeline/pipeline.registry';
import type { Dispatcher } from '../pipeline/pipeline.types';
import { RetryPolicy } from '../policy/retry-policy';
import { InMemoryRunStore } from '../store/memory/in-memory-run.store';
import { assertWithinLimits } from '../store/record-limits';
import type { NewRun } from '../store/records/store-writes';
import { asSpineStore, capabilityOf, type SpineStore } from '../store/ports/spine-store';
import { resultOfEarlierRun } from './earlier-run.result';
import { RunExecution, type RunnerServices } from './run-execution';
import { RunLedger } from './run-ledger';
import { ActiveRuns, contextOfRun, finishClaimed, readClaimedRecords } from './run-claims';
import type { ClaimedRunOptions, EnqueueOptions, ExecuteOptions, NewRunOptions, RecoverOptions, ResumeOptions, WorkflowRunnerOptions } from './runner-options';
import { API_TRIGGER, checkTriggerSource, type RunTrigger } from '../schedule/trigger';
import { SIGNAL_POLL_MS } from './signal-wait';
import { SignalNotices } from './signal-notices';
import { checkSignalId, checkSignalName, type SignalOptions, type SignalRecord } from '../store/records/signal-record';
import { newRunId } from '../context/run-id';
import { checkEnqueue, DEFAULT_QUEUE, type ClaimedRun } from '../store/records/queue-record';
import type { RunSettings } from './run-settings';
import { partitionLabel, type RunTelemetry } from './run-telemetry';
import { consoleLogger } from '../logging/logger.port';
import { WorkflowChecks } from './workflow-checks';
import type { WorkflowResult } from './workflow-result';
import type { RunEvent } from './run-event';
import { RunDefinitions, type RunDefinition } from './run-definitions';
import { continueOnChanged, pinnedElsewhere, recordRunEvent, strandedEvent } from './run-pinning';

export type { ClaimedRunOptions, EnqueueOptions, ExecuteOptions, NewRunOptions, ParamsValidator, RecoverOptions, ResumeOptions, WorkflowRunnerOptions } from './runner-options';

/** Executes workflows: steps, routing, policies, quality gates, records and events. */
export class WorkflowRunner {
  readonly store: SpineStore;
  readonly dispatcher: Dispatcher;
  private readonly services: RunnerServices;
  private readonly workflows: WorkflowLookup | null;
  /** The definitions held here, by hash: which runs this runner may execute. */
  readonly definitions: RunDefinitions;
  private readonly checks: WorkflowChecks;
  private readonly validated = new WeakSet<WorkflowDefinition>();
  /** Runs executing here (one execution per run per process). */
  private readonly active = new ActiveRuns();
  /** Recovered runs executing now, across recovery passes. */
  private recovering = 0;

  constructor(options: WorkflowRunnerOptions = {}) {
    this.dispatcher = options.dispatcher ?? new InProcessDispatcher(options.pipelines ?? new PipelineRegistry());
    this.store = asSpineStore(options.store ?? new InMemoryRunStore({ clock: options.clock }));
    this.workflows = options.workflows ?? null;
    this.definitions = new RunDefinitions(this.workflows);
    const appVersion = options.appVersion ?? null;
    if (appVersion !== null && !(typeof appVersion === 'string' && appVersion.length > 0 && appVersion.length <= 255)) {
      throw new SpineError('invalid-argument', `appVersion must be a non-empty string of at most 255 characters (got ${JSON.stringify(appVersion)}).`);
    }
    this.checks = new WorkflowChecks(this.dispatcher, this.workflows);
    const timeout = options.defaultTimeoutMs;
    if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0)) {
      throw new SpineError('invalid-argument', `defaultTimeoutMs must be a number > 0 (got ${String(timeout)}).`);
    }
    const signalPollMs = options.signalPollMs ?? SIGNAL_POLL_MS;
    if (!(typeof signalPollMs === 'number' && Number.isFinite(signalPollMs) && signalPollMs >= 1)) {
      throw new SpineError('invalid-argument', `signalPollMs must be a number ≥ 1 (got ${String(options.signalPollMs)}).`);
    }
    const maxLost = options.maxLostExecutions ?? 3;
    if (!(Number.isInteger(maxLost) && maxLost >= 1)) {
      throw new SpineError('invalid-argument', `maxLostExecutions must be a whole number ≥ 1 (got ${String(options.maxLostExecutions)}).`);
    }
    const durationMs = options.lease?.durationMs ?? 30_000;
    const heartbeatMs = options.lease?.heartbeatMs ?? Math.min(10_000, Math.max(1, Math.floor(durationMs / 3)));
    if (!(durationMs > 0 && heartbeatMs > 0)) {
      throw new SpineError('invalid-argument', `lease: durationMs (${durationMs}) and heartbeatMs (${heartbeatMs}) must be numbers > 0.`);
    }
    this.services = {
      dispatcher: this.dispatcher,
      store: this.store,
      clock: options.clock ?? new SystemClock(),
      middleware: [...(options.middleware ?? [])],
      onEvent: options.onEvent ?? null,
      defaultRetry: RetryPolicy.from(options.defaultRetry ?? {}),
      defaultTimeoutMs: timeout ?? null,
      random: options.random ?? Math.random,
      lease: { owner: options.lease?.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, durationMs, heartbeatMs },
      iteratorWorkflow: (iterator: WorkflowDefinition | StepDefinition | string) => this.checks.iteratorWorkflow(iterator),
      itemParamsValidator: options.itemParamsValidator ?? null,
      maxLostExecutions: maxLost,
      signalPollMs,
      runClaimed: (claimed, claimedOptions) => this.runClaimed(claimed, claimedOptions),
      queueLimits: options.queues ?? {},
      held: () => this.definitions.held(),
      appVersion,
      signals: new SignalNotices(),
      telemetry: options.telemetry ?? null,
      logger: options.logger ?? consoleLogger,
      onQualityDegraded: qualityHook(options.onQualityDegraded),
      qualityTrend: options.qualityTrend === undefined ? null : qualityTrendOptions(options.qualityTrend, 'WorkflowRunner'),
    };
  }

  /** Where runs' traces and metrics go (null: none). */
  get telemetry(): RunTelemetry | null {
    return this.services.telemetry;
  }

  /** Who owns the runs this runner claims (`lease.owner`). */
  /** The clock every run, lease and wait of this runner goes by. */
  get clock(): Clock {
    return this.services.clock;
  }

  /** The application build the runs started here record (null: not known). */
  get appVersion(): string | null {
    return this.services.appVersion;
  }

  /** Notes on the store that this process holds its definitions now (a worker's heartbeat, a recovery pass): runs pinned to them are not stranded. */
  async noteHeld(at: Date = new Date(this.services.clock.now())): Promise<void> {
    const { hashes } = this.definitions.held();
    if (hashes.length > 0) await this.store.definitions.markHeld(hashes, at);
  }

  get owner(): string {
    return this.services.lease.owner;
  }

  /** How long a claim's lease lasts (renewed by the heartbeat while the run executes). */
  get leaseDurationMs(): number {
    return this.services.lease.durationMs;
  }

  /** How many runs this runner is executing now. */
  get activeRuns(): number {
    return this.active.size;
  }

  /**
   * Checks a workflow against this runner: every pipeline is known to the dispatcher, every map
   * iterator named by string can be found, and no map runs its own workflow or nests too deep.
   * Throws one error listing every problem.
   */
  validate(workflow: WorkflowDefinition | WorkflowDeclaration): WorkflowDefinition {
    const definition = compileWorkflow(workflow);
    if (this.validated.has(definition)) return definition;
    const problems = this.checks.problems(definition);
    if (problems.length > 0) throw new WorkflowDefinitionError(`Workflow "${definition.name}"`, problems);
    this.validated.add(definition);
    return definition;
  }

  /**
   * Runs a workflow to its end and returns what happened; nothing is recorded when it cannot start
   * (invalid definition, identifiers over their limits, a run id this process is executing).
   */
  async execute(workflow: WorkflowDefinition | WorkflowDeclaration, options: ExecuteOptions = {}): Promise<WorkflowResult> {
    const definition = this.validate(workflow);
    const startFrom = options.startFrom ?? null;
    if (startFrom !== null && !definition.steps.some((s) => s.name === startFrom)) {
      throw new SpineError('unknown-step', `Workflow "${definition.name}" has no step "${startFrom}" to start from. Steps: ${definition.steps.map((s) => s.name).join(', ')}.`);
    }
    assertWithinLimits(definition.name, options);
    const dryRun = options.dryRun === true;
    if (options.runId !== undefined && !dryRun) {
      const existing = await this.store.journal.getRun(options.runId);
      if (existing !== null) return this.executeExisting(definition, existing, options);
    }
    if (options.context !== undefined) return this.executeFromContext(definition, options.context, options);
    const runId = options.runId ?? newRunId();
    // traced: the run's trace id is its span's (a child of the caller's span when one is active)
    const trace = dryRun
      ? null
      : (this.services.telemetry?.startRun({
          workflow: definition.name,
          runId,
          parentRunId: null,
          trigger: options.triggerSource ?? 'api',
          partitionKey: partitionLabel(options.partition),
          queue: null,
          resumed: false,
          traceparent: options.traceparent ?? null,
        }) ?? null);
    const context = WorkflowContext.create({
      runId,
      traceId: options.traceId ?? trace?.traceId ?? undefined,
      batchId: options.batchId ?? null,
      startedAt: new Date(this.services.clock.now()),
      params: { ...definition.defaults, ...(options.params ?? {}) },
      metadata: { ...(options.metadata ?? {}), workflow: definition.name, ...(dryRun && { dryRun: true }) },
      partition: options.partition ?? null,
      asOfDate: options.asOfDate ?? null,
      captureId: options.captureId ?? null,
      idempotencyKey: options.idempotencyKey ?? null,
    });
    const settings = { ...this.topLevel(options, { dryRun, startFrom, persist: !dryRun, resume: null }), trace, traceparent: options.traceparent ?? trace?.traceparent ?? null };
    const execution = new RunExecution(this.services, definition, context, settings);
    return this.executeHere(context.runId, definition.name, execution);
  }

  /**
   * `execute` with the run id of a run that exists: that run is resumed (the design's "resume a
   * specific run"), at `startFrom` when given; `params` override its params.
   */
  private executeExisting(definition: WorkflowDefinition, run: RunRecord, options: ExecuteOptions): Promise<WorkflowResult> {
    const where = `execute("${definition.name}", { runId: "${run.runId}" })`;
    if (run.workflowName !== definition.name) {
      throw new SpineError('invalid-argument', `${where}: run "${run.runId}" is a run of workflow "${run.workflowName}"; pick another run id. Nothing was recorded.`);
    }
    if (options.context !== undefined) {
      throw new SpineError('invalid-argument', `${where}: give either the run id of an existing run (to resume it) or a context (to start a new run from it), not both.`);
    }
    return this.resume(run.runId, {
      workflow: definition,
      ...(options.startFrom !== undefined && { startFrom: options.startFrom }),
      ...(options.params !== undefined && { paramsOverride: options.params }),
      ...(options.signal !== undefined && { signal: options.signal }),
      ...(options.stopSignal !== undefined && { stopSignal: options.stopSignal }),
      ...(options.handoffSignal !== undefined && { handoffSignal: options.handoffSignal }),
    });
  }

  /** A new run from a given context: its params, partition and metadata, and the outputs of the steps before `startFrom`. */
  private executeFromContext(definition: WorkflowDefinition, given: WorkflowContext, options: ExecuteOptions): Promise<WorkflowResult> {
    const where = `execute("${definition.name}", { context })`;
    if (!(given instanceof WorkflowContext)) {
      throw new SpineError('invalid-argument', `${where}: context must be a WorkflowContext (rebuild a stored one with WorkflowContext.fromJSON).`);
    }
    const steps = definition.steps;
    let startFrom = options.startFrom ?? null;
    if (startFrom === null) {
      const last = given.checkpoint?.lastCompletedStep ?? null;
      const at = last === null ? -1 : steps.findIndex((s) => s.name === last);
      if (at < 0 || at + 1 >= steps.length) {
        throw new SpineError(
          'invalid-argument',
          `${where}: say which step to start from (startFrom); the context's last completed step ${last === null ? 'is not known' : `"${last}" ${at < 0 ? 'is not a step of the workflow' : 'is its last step'}`}.`,
        );
      }
      startFrom = steps[at + 1]!.name;
    }
    const before = new Set(
      steps
        .slice(
          0,
          steps.findIndex((s) => s.name === startFrom),
        )
        .map((s) => s.name),
    );
    const json = given.toJSON();
    const outputs = Object.fromEntries(Object.entries(json.stepOutputs).filter(([name]) => before.has(name)));
    const runId = options.runId ?? newRunId();
    const context = WorkflowContext.fromJSON({
      ...json,
      runId,
      traceId: options.traceId ?? runId,
      batchId: options.batchId ?? json.batchId,
      startedAt: new Date(this.services.clock.now()).toISOString(),
      params: { ...definition.defaults, ...json.params, ...(options.params ?? {}) },
      stepOutputs: outputs,
      metadata: { ...json.metadata, ...(options.metadata ?? {}), workflow: definition.name, startedFromContext: json.runId },
      checkpoint: null,
      partition: options.partition === undefined ? json.partition : options.partition,
      asOfDate: options.asOfDate ?? json.asOfDate,
      captureId: options.captureId ?? json.captureId,
      idempotencyKey: options.idempotencyKey ?? null,
      currentStep: null,
      stepIdempotencyKey: null,
    });
    const execution = new RunExecution(this.services, definition, context, { ...this.topLevel(options, { dryRun: false, startFrom, persist: true, resume: null }), seeded: true });
    return this.executeHere(runId, definition.name, execution);
  }

  /**
   * The checkpoint of the latest completed execution of `step` in the run, with the run's context
   * right after it: the snapshot kept there (checkpoint strategy), else rebuilt from the run's
   * params and its step rows up to it. Null when the step never completed in the run.
   */
  async getCheckpoint(runId: string, step: string): Promise<CheckpointSnapshot | null> {
    const kept = await this.store.history.getCheckpoint(runId, step);
    if (kept !== null) return kept;
    const checkpoint = (await this.store.history.listCheckpoints(runId)).filter((c) => c.stepName === step).pop();
    const run = checkpoint === undefined ? null : await this.store.journal.getRun(runId);
    if (checkpoint === undefined || run === null) return null;
    // from the params it started with: each step's context shows the params it ran with (overrides replayed as they were made)
    let context = contextOfRun(run, run.originalParams, { workflow: run.workflowName });
    const overrides = new OverrideReplay(await this.store.history.listRunEvents(runId, 10_000));
    let executed = 0;
    for (const record of await this.store.journal.getRunSteps(runId)) {
      context = overrides.before(context, record.startedAt.getTime());
      if (record.status === 'completed') executed++;
      const seeded = record.status === 'skipped' && record.output !== null;
      if (record.status === 'completed' || seeded) {
        const last = record.status === 'completed' ? record.stepName : (context.checkpoint?.lastCompletedStep ?? null);
        context = context.withStepOutput(record.stepName, record.output ?? {}, record.contextUpdates ?? undefined, { lastCompletedStep: last, executedSteps: executed });
        if (record.status === 'completed' && record.quality !== null) context = context.withQuality(record.stepName, record.quality);
      }
      if (record.status === 'completed' && record.stepName === step && record.iteration === checkpoint.iteration) break;
    }
    return { ...checkpoint, context: context.toJSON() as unknown as Record<string, unknown> };
  }

  /**
   * Deletes the context snapshots kept for a run (its checkpoints' contexts); returns how many
   * went. The step rows stay: they are the run's history and where a resume continues (purge
   * removes whole finished runs).
   */
  async deleteCheckpoints(runId: string): Promise<number> {
    return this.store.history.deleteCheckpoints(runId);
  }

  /**
   * Continues a failed, stopped or orphaned run at the step that did not complete: completed steps
   * are not run again and their outputs are in the context (`ctx.metadata.resumed === true`). The
   * run is claimed first (a new epoch: an execution still holding the previous claim is fenced
   * off). A run with a pending cancel request is marked cancelled instead of resumed. The workflow
   * is found by the run's name through `workflows` unless given; a definition whose hash differs
   * from the one the run started with is refused unless `allowDefinitionChange`.
   */
  async resume(runId: string, options: ResumeOptions = {}): Promise<WorkflowResult> {
    const by = overrideBy(options.by);
    const { run, where } = await this.unfinishedRun(runId);
    if (run.queue !== null && (run.status === 'queued' || run.status === 'waiting' || (run.status === 'running' && run.leaseOwner === null))) {
      throw new SpineError('run-in-progress', `${where} is ${run.status} on queue "${run.queue}"; a worker serving that queue runs it (start one with \`npx spine worker --queue ${run.queue}\`).`);
    }
    const { definition, changed } = this.definitionToResume(run, where, options);
    this.active.reserve(runId, run.workflowName);
    try {
      const { lease, clock } = this.services;
      const now = clock.now();
      const claim = await this.store.leases.claimRun(runId, { owner: lease.owner, expiresAt: new Date(now + lease.durationMs) }, new Date(now));
      if (!claim.claimed) throw leaseHeld(where, run, claim.run);
      const claimed = claim.run;
      const fence = { runId, epoch: claimed.leaseEpoch, owner: lease.owner };
      if (claimed.cancelRequested) {
        const cancelled = await finishClaimed(this.store.journal, claimed, fence, clock.now(), { status: 'cancelled' });
        return resultOfEarlierRun(this.store.journal, definition, this.ledgerFor(definition, runId), cancelled, clock.now(), false);
      }
      // a changed definition the run continues on: it is pinned to it from now on
      const current = changed ? await continueOnChanged(this.store, claimed, fence, definition, clock.now(), (event) => this.tell(event)) : claimed;
      const records = await readClaimedRecords(
        this.store.journal,
        current,
        fence,
        () => clock.now(),
        () => this.store.journal.getRunSteps(runId),
      );
      const overridden = overrideEvent(run, options.paramsOverride, by, 'resume', clock.now());
      if (overridden !== null) await this.tell(overridden);
      const context = contextOfRun(run, { ...run.params, ...(options.paramsOverride ?? {}) }, { workflow: definition.name, resumed: true });
      // taken over from an owner that neither finished nor handed it off: its execution was lost
      const lost = run.status === 'running' && run.leaseOwner !== null;
      const resume = { run, records, claim: { epoch: claimed.leaseEpoch, at: now }, lost };
      const execution = new RunExecution(this.services, definition, context, this.topLevel(options, { dryRun: false, startFrom: options.startFrom ?? null, persist: true, resume }));
      this.active.attach(runId, execution);
      return await execution.run();
    } finally {
      this.active.release(runId);
    }
  }

  /**
   * Puts a failed or stopped run of a workflow with a queue back on that queue, due now, with
   * `paramsOverride` merged over its params, and returns at once: nothing runs here. A worker
   * serving the queue claims it and resumes it where it stopped, exactly as `resume` would (only
   * unfinished work runs again). The checks are `resume`'s: an unknown run, a map item, a finished
   * or cancelled run, an unknown workflow, or a definition changed since the run started (unless
   * `allowDefinitionChange`) is refused, and so is a run without a queue (`resume` it instead) or
   * one that is not failed or stopped. Returns the run as it now is (status 'queued', or already 'running' when a worker took it at once).
   */
  async requeue(runId: string, options: Pick<ResumeOptions, 'paramsOverride' | 'allowDefinitionChange' | 'workflow' | 'by'> = {}): Promise<RunRecord> {
    const by = overrideBy(options.by);
    const { run, where } = await this.unfinishedRun(runId);
    if (run.queue === null) {
      throw new SpineError('invalid-argument', `${where} was not enqueued (it has no queue), so no worker takes it; resume it in a process instead (resume, \`spine resume ${runId}\`).`);
    }
    if (run.status !== 'failed' && run.status !== 'stopped') {
      throw new SpineError('run-in-progress', `${where} is ${run.status} on queue "${run.queue}"; only a failed or stopped run can be put back on its queue.`);
    }
    const { definition, changed } = this.definitionToResume(run, where, options);
    const queue = capabilityOf(this.store, 'queue', `${where}: putting it back on its queue`);
    // a changed definition it resumes on: moved first, so the workers holding that definition take it
    if (changed) await continueOnChanged(this.store, run, null, definition, this.services.clock.now(), (event) => this.tell(event));
    const params = { ...run.params, ...(options.paramsOverride ?? {}) };
    const requeued = await queue.requeueRuns([{ runId, params }], null, new Date(this.services.clock.now()));
    // as it is now: queued, or already claimed by a worker (woken by the requeue itself)
    const now = await this.store.journal.getRun(runId);
    if (requeued === 0 || now === null) {
      // somebody else resumed, cancelled or purged it between the check and the update
      throw new SpineError('run-in-progress', `${where} changed while it was being put back on its queue (it is now ${now?.status ?? 'gone'}); nothing was changed.`);
    }
    const overridden = overrideEvent(run, options.paramsOverride, by, 'requeue', this.services.clock.now());
    if (overridden !== null) await this.tell(overridden);
    const event: RunEvent = {
      type: 'run_requeued',
      runId,
      traceId: run.traceId,
      workflow: run.workflowName,
      timestamp: this.services.clock.now(),
      queue: run.queue,
      ...(options.paramsOverride !== undefined && { reason: `params overridden: ${Object.keys(options.paramsOverride).join(', ') || 'none'}` }),
    };
    await this.tell(event);
    return now;
  }

  /** The checks of `resume` and `requeue` on the run itself: it exists, is top-level, and has not finished. */
  private async unfinishedRun(runId: string): Promise<{ run: RunRecord; where: string }> {
    const run = await this.store.journal.getRun(runId);
    if (run === null) throw new SpineError('unknown-run', `Run "${runId}" is not in the run store; check the id (listRuns shows recent runs).`);
    const where = `Run "${runId}" of workflow "${run.workflowName}"`;
    if (run.parentRunId !== null) {
      throw new SpineError(
        'invalid-argument',
        `${where} is an item of a map step of run "${run.rootRunId ?? run.parentRunId}"; resume that run instead (its map step runs only the unfinished items again).`,
      );
    }
    if (reachedEnd(run.status)) {
      throw new SpineError(
        'invalid-argument',
        `${where} already ${run.status === 'partial' ? 'went to its end (partial: some steps or map items failed)' : 'completed'}; there is nothing to resume. ` +
          'To run steps of it again, start a new run from its context: execute(workflow, { context: WorkflowContext.fromJSON((await getCheckpoint(runId, step)).context), startFrom }).',
      );
    }
    if (run.status === 'cancelled') throw new SpineError('invalid-argument', `${where} was cancelled; cancelled runs are final. Start a new run instead.`);
    return { run, where };
  }

  /** The definition a run is resumed with (see `RunDefinitions.toResume`), with the step to start from. */
  private definitionToResume(run: RunRecord, where: string, options: Pick<ResumeOptions, 'allowDefinitionChange' | 'workflow' | 'startFrom'>): RunDefinition {
    const chosen = this.definitions.toResume(run, where, options, (name) => this.checks.unknownWorkflow(name));
    const definition = this.validate(chosen.definition);
    if (options.startFrom !== undefined && !definition.steps.some((s) => s.name === options.startFrom)) {
      throw new SpineError('unknown-step', `${where}: workflow "${definition.name}" has no step "${options.startFrom}" to resume from. Steps: ${definition.steps.map((s) => s.name).join(', ')}.`);
    }
    return { definition, changed: chosen.changed };
  }

  /** Records an event of a run the runner did not execute (a requeue, a move, a run it cannot take) and tells the listener. */
  private tell(event: RunEvent): Promise<void> {
    return recordRunEvent(this.store, event, this.services.onEvent, this.services.logger);
  }

  /**
   * Records a queued run for a worker and returns at once: nothing runs here. The run starts when
   * a worker serving its queue claims it, within the queue's limits, not before `notBefore`. With
   * an `idempotencyKey` used before, the earlier run is returned (`created: false`).
   */
  async enqueue(workflow: WorkflowDefinition | WorkflowDeclaration, options: EnqueueOptions = {}): Promise<{ readonly runId: string; readonly created: boolean }> {
    const definition = this.validate(workflow);
    const store = this.store;
    const where = `enqueue("${definition.name}")`;
    capabilityOf(store, 'queue', where);
    checkEnqueue(where, options);
    assertWithinLimits(definition.name, options);
    const trigger = triggerOf(options, where);
    const created = this.queuedRun(definition, options, trigger);
    const outcome = await store.journal.createRun(created);
    if (!outcome.created && outcome.run.workflowName !== definition.name) {
      throw new SpineError(
        'idempotency-conflict',
        `The idempotency key "${options.idempotencyKey}" belongs to run "${outcome.run.runId}" of workflow "${outcome.run.workflowName}"; it cannot enqueue ` +
          `workflow "${definition.name}". Nothing was recorded.`,
      );
    }
    return outcome.created ? { runId: created.runId, created: true } : { runId: outcome.run.runId, created: false };
  }

  /**
   * The queued run `enqueue` records (params as given, over the workflow's defaults), without
   * recording it: a schedule's fire records it together with the fire.
   */
  queuedRun(definition: WorkflowDefinition, options: EnqueueOptions, trigger: RunTrigger): NewRun {
    const now = this.services.clock.now();
    // enqueued inside a span (an HTTP request's): the run's trace is that trace, continued by the worker
    const active = options.traceId === undefined && options.traceparent === undefined ? (this.services.telemetry?.activeTrace() ?? null) : null;
    const traceparent = options.traceparent ?? active?.traceparent ?? null;
    return {
      runId: options.runId ?? newRunId(),
      workflowName: definition.name,
      workflowVersion: definition.version,
      workflowHash: workflowHash(definition),
      ...(this.services.appVersion !== null && { appVersion: this.services.appVersion }),
      domain: definition.domain,
      params: { ...definition.defaults, ...(options.params ?? {}) },
      partition: options.partition ?? null,
      batchId: options.batchId ?? null,
      traceId: options.traceId ?? active?.traceId ?? newRunId(),
      ...(traceparent !== null && { traceparent }),
      asOfDate: options.asOfDate ?? null,
      captureId: options.captureId ?? null,
      idempotencyKey: options.idempotencyKey ?? null,
      parentRunId: null,
      rootRunId: null,
      totalSteps: definition.steps.length,
      startedAt: new Date(now),
      leaseOwner: null,
      leaseExpiresAt: null,
      fence: null,
      enqueue: {
        queue: options.queue ?? definition.queue ?? DEFAULT_QUEUE,
        priority: options.priority ?? 0,
        concurrencyKey: options.concurrencyKey ?? null,
        notBefore: options.notBefore ?? new Date(now),
      },
      trigger,
    };
  }

  /**
   * Sends a signal to a run (not completed or cancelled), from any process on the store: kept
   * until a signal wait of the run consumes it (a failed run's resume too); a run parked waiting
   * for this signal is made due at once, and a wait of a run executing here looks at once. With an
   * `id`, a retried send (the same id for the same run) stores nothing and returns the first.
   * Throws naming an unknown, completed or cancelled run.
   */
  async signal(runId: string, name: string, payload?: unknown, options: SignalOptions = {}): Promise<SignalRecord> {
    checkSignalName(`signal(${JSON.stringify(runId)})`, name);
    const dedupeId = checkSignalId(`signal(${JSON.stringify(runId)}, ${JSON.stringify(name)})`, options.id);
    const signals = capabilityOf(this.store, 'signals', `signal(${JSON.stringify(runId)}, ${JSON.stringify(name)})`);
    const sent = await signals.sendSignal(runId, name, payload ?? null, new Date(this.services.clock.now()), dedupeId);
    this.services.signals.notify(runId);
    return sent;
  }

  /**
   * Executes a run a worker claimed (`SpineStore.claimQueued`: the claim's epoch is on the run): a
   * queued run from its first step, a parked or orphaned one from where it stopped. Waits longer
   * than `parkAfterMs` park it again. A pending cancel request marks it cancelled instead. When it
   * is a distributed map's item and it ends, its parent is woken if it was the last to settle.
   */
  async runClaimed(claimed: ClaimedRun, options: ClaimedRunOptions = {}): Promise<WorkflowResult> {
    const { lease, clock } = this.services;
    let run = claimed.run;
    const fence = { runId: run.runId, epoch: run.leaseEpoch, owner: lease.owner };
    const where = `Run "${run.runId}" of workflow "${run.workflowName}"`;
    this.active.reserve(run.runId, run.workflowName);
    let result: WorkflowResult | null = null;
    try {
      const found = this.definitions.forRun(run);
      if (found === null && (this.workflows?.get(run.workflowName) === undefined || this.workflows === null)) {
        const error = `${where}: ${this.checks.unknownWorkflow(run.workflowName)}`;
        await finishClaimed(this.store.journal, run, fence, clock.now(), { status: 'failed', error });
        throw new SpineError('unknown-workflow', error);
      }
      if (found === null) {
        // pinned to a definition this process lacks (claims take only held ones; a registry that changed under a claim): left to a process that holds it
        await this.store.leases.releaseLease(run.runId, fence);
        const reason = pinnedElsewhere(where, run, this.workflows);
        await this.tell(strandedEvent(run, reason, clock.now()));
        throw new SpineError('definition-changed', reason);
      }
      const definition = this.validate(found.definition);
      if (found.changed) run = await continueOnChanged(this.store, run, fence, definition, clock.now(), (event) => this.tell(event));
      if (run.cancelRequested) {
        const ended = await finishClaimed(this.store.journal, run, fence, clock.now(), { status: 'cancelled' });
        result = await resultOfEarlierRun(this.store.journal, definition, this.ledgerFor(definition, run.runId), ended, clock.now(), false);
        return result;
      }
      // a run that never executed a step has none to read (a re-queued item has)
      const records = await readClaimedRecords(
        this.store.journal,
        run,
        fence,
        () => clock.now(),
        async () => (claimed.firstStart && run.executedSteps === 0 ? [] : this.store.journal.getRunSteps(run.runId)),
      );
      const firstStart = records.length === 0 && claimed.firstStart;
      const context = contextOfRun(run, run.params, { workflow: definition.name, ...(!firstStart && { resumed: true }) });
      // the lease runs from the claim (its expiry less its duration), not from now
      const claimedAt = run.leaseExpiresAt === null ? clock.now() : Math.min(clock.now(), run.leaseExpiresAt.getTime() - lease.durationMs);
      const resume = { run, records, claim: { epoch: run.leaseEpoch, at: claimedAt }, lost: claimed.lost, firstStart };
      const settings: RunSettings = {
        ...this.topLevel(options, { dryRun: false, startFrom: null, persist: true, resume }),
        parentRunId: run.parentRunId,
        parkAfterMs: options.parkAfterMs ?? lease.durationMs,
      };
      const execution = new RunExecution(this.services, definition, context, settings);
      this.active.attach(run.runId, execution);
      result = await execution.run();
      return result;
    } finally {
      this.active.release(run.runId);
      const ended = result !== null && result.status !== 'running' && result.status !== 'waiting' && result.status !== 'queued';
      if (ended && run.parentRunId !== null) await this.store.queue?.settleChild(run.parentRunId, !reachedEnd(result!.status), new Date(clock.now()));
    }
  }

  /** Another process asked to cancel `runId` (a wake-up from the store): an execution of it here stops at its next step boundary, its running step's signal aborted now. */
  noticeCancel(runId: string): void {
    this.active.get(runId)?.cancel('cancelled by spine.cancel in another process');
  }

  /** Another process sent `runId` a signal (a wake-up from the store): a signal wait of it executing here looks now. */
  noticeSignal(runId: string): void {
    this.services.signals.notify(runId);
  }

  /**
   * Cancels a run. One this process executes stops at its next step boundary (its running step's
   * signal is aborted now, a wait or a map gives way at once); one another process executes stops
   * at that process's next step commit or heartbeat; a failed or stopped run, or one whose owner
   * died, is marked cancelled at once. A completed or cancelled run is refused (`run-finished`)
   * and nothing is changed. Returns the run as it now is.
   */
  async cancel(runId: string): Promise<RunRecord> {
    const found = await this.store.journal.getRun(runId);
    if (found === null) throw new SpineError('unknown-run', `Run "${runId}" is not in the run store; check the id (listRuns shows recent runs).`);
    const where = `Run "${runId}" of workflow "${found.workflowName}"`;
    if (found.parentRunId !== null) {
      throw new SpineError('invalid-argument', `${where} is an item of a map step of run "${found.rootRunId ?? found.parentRunId}"; cancel that run instead.`);
    }
    const run = (await this.store.leases.requestCancel(runId)) ?? found;
    // a distributed map's items run on their own: they are asked too
    await this.store.queue?.cancelChildren(runId);
    if (reachedEnd(run.status) || run.status === 'cancelled') {
      throw new SpineError('run-finished', `${where} is already ${run.status}; only a run that has not finished can be cancelled. Nothing was changed.`);
    }
    const here = this.active.get(runId);
    if (here !== null) {
      here.cancel('cancelled by spine.cancel');
      return run;
    }
    if (this.active.has(runId)) return run; // being claimed here: the claim sees the request
    const { lease, clock } = this.services;
    const now = clock.now();
    const claim = await this.store.leases.claimRun(runId, { owner: lease.owner, expiresAt: new Date(now + lease.durationMs) }, new Date(now));
    if (!claim.claimed) return claim.run ?? run; // its owner is alive: it stops at its next step commit or heartbeat
    return finishClaimed(this.store.journal, claim.run, { runId, epoch: claim.run.leaseEpoch, owner: lease.owner }, clock.now(), { status: 'cancelled' });
  }

  /**
   * Resumes runs whose lease expired (their process died, was cut off, or handed them off),
   * oldest expiry first, several at once (`concurrency`, default 8, shared by overlapping
   * passes), so a recovered run in a long wait holds back no other. Runs this process executes
   * are never taken; a run another process claims first is left to it; a run with a pending
   * cancel request is marked cancelled. Resolves with what each resumed run did.
   */
  async recover(options: RecoverOptions = {}): Promise<WorkflowResult[]> {
    const concurrency = options.concurrency ?? 8;
    const expired = (await this.store.leases.listExpiredRuns(new Date(this.services.clock.now()), options.limit ?? 100, this.definitions.held())).filter((run) => !this.active.has(run.runId));
    const { signal, stopSignal, handoffSignal } = options;
    const results: WorkflowResult[] = [];
    const recoverOne = async (run: RunRecord): Promise<void> => {
      this.recovering++;
      try {
        results.push(await this.resume(run.runId, { ...(signal && { signal }), ...(stopSignal && { stopSignal }), ...(handoffSignal && { handoffSignal }) }));
      } catch (error) {
        // claimed elsewhere first, finished since it was listed, a workflow this runner does not
        // know (another application on the database), unreadable records (marked failed)
        if (error instanceof SpineError && ['lease-held', 'invalid-argument', 'unknown-workflow', 'run-in-progress', 'corrupt-record'].includes(error.kind)) return;
        if (error instanceof SpineError && error.kind === 'definition-changed') {
          // listed as held, then not (the definitions here changed): never swallowed in silence
          this.services.logger.warn({ runId: run.runId, workflow: run.workflowName }, error.message);
          await this.tell(strandedEvent(run, error.message, this.services.clock.now()));
          return;
        }
        throw error;
      } finally {
        this.recovering--;
      }
    };
    const running: Promise<void>[] = [];
    for (const run of expired) {
      if (stopSignal?.aborted || handoffSignal?.aborted || this.recovering >= concurrency) break;
      running.push(recoverOne(run));
    }
    const settled = await Promise.allSettled(running);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    return results;
  }

  /** A recorded run's result, rebuilt from its records (the context as its completed steps left it); nothing runs. */
  resultOf(run: RunRecord, workflow: WorkflowDefinition | WorkflowDeclaration): Promise<WorkflowResult> {
    const definition = this.validate(workflow);
    return resultOfEarlierRun(this.store.journal, definition, this.ledgerFor(definition, run.runId), run, this.services.clock.now(), false);
  }

  /** A top-level execution's settings. */
  private topLevel(options: ExecuteOptions | ResumeOptions, how: Pick<RunSettings, 'dryRun' | 'startFrom' | 'persist' | 'resume'>): RunSettings {
    return {
      dryRun: how.dryRun,
      startFrom: how.startFrom,
      persist: how.persist,
      resume: how.resume,
      signal: options.signal ?? null,
      raceAborts: options.signal !== undefined,
      stopSignal: options.stopSignal ?? null,
      handoffSignal: options.handoffSignal ?? null,
      leased: true,
      keepEvents: true,
      parentRunId: null,
      rootRunId: null,
      guard: null,
      depth: 0,
      parkAfterMs: null,
      trigger: triggerOf(options as NewRunOptions),
    };
  }

  /** Runs a new execution as the only one of its run here. */
  private async executeHere(runId: string, workflow: string, execution: RunExecution): Promise<WorkflowResult> {
    this.active.reserve(runId, workflow);
    this.active.attach(runId, execution);
    try {
      return await execution.run();
    } finally {
      this.active.release(runId);
    }
  }

  private ledgerFor(definition: WorkflowDefinition, runId: string): RunLedger {
    return new RunLedger(runId, null, new Map(definition.steps.map((s, i) => [s.name, i])), null);
  }
}

/** The trigger a new run records: the caller's source (checked), else 'api'. */
function triggerOf(options: NewRunOptions, where = 'run'): RunTrigger {
  if (options.triggerSource === undefined) return API_TRIGGER;
  checkTriggerSource(where, options.triggerSource);
  return { source: options.triggerSource, schedule: null, fireTime: null };
}

function leaseHeld(where: string, run: RunRecord, holder: RunRecord | null): SpineError {
  return new SpineError(
    'lease-held',
    `${where} is ${holder?.status ?? run.status} and held by ${holder?.leaseOwner ?? 'another process'} until ` +
      `${holder?.leaseExpiresAt?.toISOString() ?? 'its lease expires'}; it resumes there, or anywhere once that lease expires.`,
  );
}
