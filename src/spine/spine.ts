import { newRunId } from '../core/context/run-id';
import { Container } from 'inversify';
import type { WorkflowDefinition } from '../core/definition/workflow-definition';
import { SpineError } from '../core/errors/spine-error';
import { workflowHash, workflowSpec } from '../core/definition/workflow-spec';
import { InProcessDispatcher } from '../core/pipeline/in-process.dispatcher';
import type { RunRecord } from '../core/store/records/run-record';
import { capabilityOf, type SpineStore } from '../core/store/ports/spine-store';
import { WorkflowRunner, type ExecuteOptions, type ResumeOptions } from '../core/runner/workflow-runner';
import type { WorkflowResult } from '../core/runner/workflow-result';
import { SpineDeploys, resolveAppVersion, type MigrateRunsOptions, type MigrationResult } from './spine.deploys';
import type { StrandedRun } from '../core/runner/stranded-runs';
import { StartedRuns } from './started-runs';
import { WorkflowRegistry } from '../discovery/workflow.registry';
import { InversifyClassProvider } from '../di/inversify-class.provider';
import { paramsMetadataProblem, type ParamsCheckOptions } from '../validation/params.validator';
import { checkParams, paramsFormOf } from './spine.params';
import { watchRun, type WatchOptions } from './spine.watch';
import type { RunEvent } from '../core/runner/run-event';
import type { ParamsSpec } from '../core/params/param-spec';
import { didYouMean } from '../validation/did-you-mean';
import { assemble, capabilityProblems } from './spine.assembly';
import { openStore, type OpenedStore } from './spine.database';
import { OtelRunTelemetry } from '../telemetry/otel-telemetry';
import { consoleLogger, logError, logInfo } from '../core/logging/logger.port';
import { loadStoredDefinitions, saveDefinition, type DefinitionSource, type SavedDefinition } from './spine.definitions';
import type { HandlerLookup } from '../declarative/handler-registry';
import { reachedEnd } from '../core/store/records/run-record';
import type { DataSource } from 'typeorm';
import { SpineStartupError } from './spine-startup.error';
import type { SpineLogger, SpineOptions } from './spine.options';
import { RunWorker, type WorkerOptions } from '../worker/run-worker';
import { checkQueueLimits, type QueueLimits } from '../core/store/records/queue-record';
import type { EnqueueOptions } from '../core/runner/workflow-runner';
import { SpineSchedules, type BackfillResult, type ScheduleInfo } from './spine.schedules';
import { SpineReads } from './spine.reads';
import { Scheduler } from '../worker/scheduler';
import { SpineWakeups } from './spine.wakeups';
import type { ScheduleState } from '../core/schedule/schedule';
import type { SignalOptions, SignalRecord } from '../core/store/records/signal-record';
import { assertSafeKeys } from '../core/context/safe-values';
import { approvalSignal } from '../core/runner/signal-wait';

/**
 * The application's entry point: discovers and compiles workflows and pipelines, binds them in the
 * container, validates everything at start-up, then runs workflows by name.
 */
export class Spine extends SpineReads {
  private closed = false;

  private constructor(
    readonly container: Container,
    runner: WorkflowRunner,
    store: SpineStore,
    private readonly registry: WorkflowRegistry,
    private readonly startedAt: string,
    private readonly opened: OpenedStore,
    /** Where spine logs (the `logger` option, else the console). */
    readonly logger: SpineLogger,
    private readonly startedRuns: StartedRuns,
    private readonly recoveryIntervalMs: number,
    private readonly recoveryConcurrency: number,
    private readonly queueLimits: Readonly<Record<string, QueueLimits>>,
    private readonly handlers: HandlerLookup,
    strandedAfterMs: number,
    /** `forbidUnknownParams` (default true). */
    private readonly forbidUnknownParams: boolean,
  ) {
    super(runner, store);
    this.deploys = new SpineDeploys(runner, store, registry, logger, strandedAfterMs, () => ({
      recovers: this.recoveryTimer !== null && !this.closed,
      works: this.worker !== null && !this.closed,
    }));
  }

  /** Stranded runs and migrations between versions. */
  private readonly deploys: SpineDeploys;
  /** The store's wake-ups: due runs, signals, cancels, finished runs and schedule changes at once, not at the next poll. */
  private readonly wakes = new SpineWakeups(this.store.wakeups ?? null, {
    queue: () => this.worker?.notify(),
    signal: (runId) => this.runner.noticeSignal(runId),
    cancel: (runId) => this.runner.noticeCancel(runId),
    schedules: () => this.scheduler?.notify(),
  });

  /** This process's worker, once started (`worker` option, `startWorker`, `npx spine worker`). */
  private worker: RunWorker | null = null;
  /** The schedules declared in this application (set by `create`). */
  private schedules!: SpineSchedules;
  /** Fires the schedules, in a worker (`worker.scheduler`, on by default). */
  private scheduler: Scheduler | null = null;

  /** Aborted by close: every run this Spine executes hands itself off at its next step boundary. */
  private readonly shutdown = new AbortController();
  /** Runs this Spine is executing (started, resumed or recovered here). */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Recovery passes under way (a pass ends when the runs it recovered end). */
  private readonly recoveries = new Set<Promise<void>>();
  private recoveryTimer: NodeJS.Timeout | null = null;

  /**
   * Resumes runs whose lease expired (their process died, or another process handed them off at
   * shutdown) now and then every `intervalMs`, until close. Runs are recovered several at once
   * (`recoveryConcurrency`), and a pass does not wait for the runs of an earlier one: a recovered
   * run in a long wait holds no other back. `Spine.create` calls it unless `recoverOnStart:
   * false`; `SpineModule` calls it when the application has started. Calling it again does nothing.
   */
  startRecovery(intervalMs: number = this.recoveryIntervalMs): void {
    if (this.recoveryTimer !== null || this.closed) return;
    const pass = (): void => {
      if (this.closed) return;
      const recovery: Promise<void> = Promise.all([this.runner.noteHeld(), this.deploys.report()])
        .then(() => this.runner.recover({ handoffSignal: this.shutdown.signal, concurrency: this.recoveryConcurrency }))
        .then((results) => {
          for (const result of results) {
            logInfo(
              this.logger,
              { runId: result.runId, workflow: result.workflowName, traceId: result.context.traceId, status: result.status },
              `recovered run ${result.runId} of ${result.workflowName}: ${result.status}`,
            );
          }
        })
        .catch((error: unknown) =>
          this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, `recovering expired runs failed: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => void this.recoveries.delete(recovery));
      this.recoveries.add(recovery);
    };
    this.recoveryTimer = setInterval(pass, intervalMs);
    this.recoveryTimer.unref();
    pass();
  }

  /** Keeps a run's promise until it settles, so close can wait for it. */
  private track<T>(promise: Promise<T>): Promise<T> {
    this.wakes.listen(); // a cancel from another process reaches the run at once
    this.inFlight.add(promise);
    const forget = (): void => void this.inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** The caller's hand-off signal, if any, joined with this Spine's shutdown. */
  private handoffSignal(own: AbortSignal | undefined): AbortSignal {
    return own === undefined ? this.shutdown.signal : AbortSignal.any([own, this.shutdown.signal]);
  }

  /** The TypeORM DataSource runs are recorded in (null for 'memory' or a store of your own). */
  get dataSource(): DataSource | null {
    return this.opened.dataSource;
  }

  /**
   * Starts an application: imports the `discover` globs, compiles every workflow, binds workflows and
   * pipelines in the container and checks their dependencies. Throws one `SpineStartupError`
   * listing every problem found.
   */
  static async create(options: SpineOptions = {}): Promise<Spine> {
    const startedAt = callerSite();
    const container = options.container ?? new Container();
    const registry = new WorkflowRegistry();
    const classes = options.classProvider ?? new InversifyClassProvider(container);
    if (options.strandedAfterMs !== undefined) SpineDeploys.check(options.strandedAfterMs);
    const assembly = await assemble(options, classes, registry, options.logger ?? consoleLogger);
    const opened = await openStore(options);
    const store = opened.store;
    const { middleware, defaultRetry, defaultTimeoutMs, clock, lease, maxLostExecutions, signalPollMs, onQualityDegraded, qualityTrend } = options;
    const startedRuns = new StartedRuns(options.onEvent);
    const runner = new WorkflowRunner({
      appVersion: resolveAppVersion(options.appVersion),
      telemetry: options.telemetry === false ? null : new OtelRunTelemetry(),
      logger: options.logger ?? consoleLogger,
      lease,
      maxLostExecutions,
      signalPollMs,
      ...(onQualityDegraded !== undefined && { onQualityDegraded }),
      ...(qualityTrend !== undefined && { qualityTrend }),
      queues: options.queues ?? {},
      middleware,
      onEvent: startedRuns.onEvent,
      defaultRetry,
      defaultTimeoutMs,
      clock,
      dispatcher: new InProcessDispatcher(assembly.pipelines),
      workflows: registry,
      store,
      itemParamsValidator: (iterator, params) => checkParams(iterator.name, registry.entry(iterator.name)?.paramsType ?? null, iterator, params, {}),
    });
    const problems = [...assembly.problems];
    // declarative definitions stored in the database (saveDefinition): those this process can run
    if (problems.length === 0) await loadStoredDefinitions(store, registry, assembly.handlers, runner, options.logger ?? consoleLogger);
    for (const [name, limits] of Object.entries(options.queues ?? {})) {
      try {
        checkQueueLimits(name, limits);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    const schedules = SpineSchedules.compile(options.schedules ?? [], registry, options.calendars ?? {}, problems);
    for (const entry of registry.all()) {
      const missing = entry.paramsType === null ? null : paramsMetadataProblem(entry.definition.name, entry.paramsType);
      if (missing !== null) problems.push(missing);
    }
    for (const { definition } of registry.all()) {
      try {
        runner.validate(definition);
      } catch (error) {
        const nested = (error as { problems?: readonly string[] }).problems;
        problems.push(...(nested ?? [(error as Error).message]).map((p) => `workflow "${definition.name}": ${p}`));
      }
    }
    problems.push(
      ...capabilityProblems(
        store,
        registry.all().map((entry) => entry.definition),
        schedules,
        options.worker,
      ),
    );
    if (problems.length > 0) {
      await opened.close();
      throw new SpineStartupError(problems);
    }
    // each workflow's newest version saved last: the active definition of its name (one per name)
    const saving = registry
      .all()
      .filter((entry) => entry.stored !== true) // a stored definition is saved as it is, declarative
      .map((entry) => entry.definition)
      .sort((a, b) => a.version - b.version);
    for (const definition of saving) await store.definitions.saveDefinition(workflowSpec(definition), workflowHash(definition));
    registry.freeze(startedAt);
    const recoveryIntervalMs = options.recoveryIntervalMs ?? options.lease?.durationMs ?? 30_000;
    const spine = new Spine(
      container,
      runner,
      store,
      registry,
      startedAt,
      opened,
      options.logger ?? consoleLogger,
      startedRuns,
      recoveryIntervalMs,
      options.recoveryConcurrency ?? 8,
      options.queues ?? {},
      assembly.handlers,
      options.strandedAfterMs ?? SpineDeploys.DEFAULT_AFTER_MS,
      options.forbidUnknownParams !== false,
    );
    try {
      // a schedule first seen fires from now: the scheduler's now, when the worker option gives it a clock of its own, else the database's
      const scheduler = typeof options.worker === 'object' ? options.worker.scheduler : undefined;
      const seenAt =
        typeof scheduler === 'object' && scheduler.now !== undefined
          ? new Date(scheduler.now())
          : schedules.length > 0 && store.schedules !== null
            ? await store.schedules.databaseTime()
            : new Date(runner.clock.now());
      spine.schedules = await SpineSchedules.open(
        schedules,
        store,
        runner,
        (name, params) => spine.prepare(name, { params }),
        spine.logger,
        () => spine.worker?.notify(),
        seenAt,
      );
    } catch (error) {
      await opened.close();
      throw error;
    }
    // a process that recovers or works holds its definitions: runs pinned to them are not stranded
    if (options.recoverOnStart !== false || (options.worker !== undefined && options.worker !== false)) {
      await runner.noteHeld();
      spine.deploys.observe();
    }
    if (options.recoverOnStart !== false) spine.startRecovery();
    if (options.worker !== undefined && options.worker !== false) {
      try {
        spine.startWorker(options.worker === true ? {} : options.worker);
      } catch (error) {
        await spine.close();
        throw error;
      }
    }
    return spine;
  }

  /**
   * A run's progress as events, oldest first, from whatever process executes it (see `watchRun`):
   * `for await (const event of spine.watch(runId)) …` ends when the run has ended.
   */
  watch(runId: string, options: WatchOptions = {}): AsyncGenerator<RunEvent, void, undefined> {
    this.assertOpen('watch');
    return watchRun(
      {
        getRun: (id) => this.getRun(id),
        getRunSteps: (id) => this.getRunSteps(id),
        listRunEvents: (id, limit) => this.listRunEvents(id, limit),
        finishedOrAfter: (id, ms) => this.wakes.finishedOrAfter(id, ms),
      },
      runId,
      options,
    );
  }

  /** The params a workflow takes (its params class described, or its declared params), for a start form; null when it declares none. */
  paramsOf(name: string): ParamsSpec | null {
    const entry = this.registry.entry(name);
    if (entry === undefined) throw this.unknownWorkflow(name);
    return paramsFormOf(entry.paramsType, entry.definition);
  }

  /** Every registered workflow, compiled, sorted by name. */
  workflows(): readonly WorkflowDefinition[] {
    return this.registry.names().map((name) => this.registry.get(name)!);
  }

  /** The compiled workflow registered under `name`; throws listing the known names. */
  workflow(name: string): WorkflowDefinition {
    const definition = this.registry.get(name);
    if (definition === undefined) throw this.unknownWorkflow(name);
    return definition;
  }

  /**
   * Runs a workflow by name. Params are the workflow's defaults with `params` over them, converted
   * and validated by its params DTO first: invalid params throw `SpineValidationError` and record nothing.
   */
  async run(name: string, options: ExecuteOptions = {}): Promise<WorkflowResult> {
    this.assertOpen('run');
    const { definition, params } = await this.prepare(name, options);
    this.assertOpen('run');
    return this.track(this.runner.execute(definition, { ...options, params, handoffSignal: this.handoffSignal(options.handoffSignal) }));
  }

  /**
   * Starts a run in the background (an HTTP handler answering at once): params are validated
   * first (invalid params throw and record nothing), then it resolves as soon as the run is
   * recorded, with its id and the promise of its result. With an `idempotencyKey` that was used
   * before, the earlier run's id. A run that ends in an error is logged; await `result` to handle it.
   */
  async start(name: string, options: ExecuteOptions = {}): Promise<{ readonly runId: string; readonly result: Promise<WorkflowResult> }> {
    this.assertOpen('start');
    const { definition, params } = await this.prepare(name, options);
    this.assertOpen('start');
    const runId = options.runId ?? newRunId();
    const recorded = this.startedRuns.waitFor(runId);
    const result = this.track(this.runner.execute(definition, { ...options, runId, params, handoffSignal: this.handoffSignal(options.handoffSignal) }));
    result.catch((error: unknown) =>
      logError(
        this.logger,
        { runId, workflow: name, error: error instanceof Error ? error.message : String(error) },
        `run ${runId} of ${name} ended with an error: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
    try {
      const first = await Promise.race([
        recorded.promise.then(() => null),
        result.then(
          (r) => r,
          () => null,
        ),
      ]);
      return { runId: first?.runId ?? runId, result };
    } finally {
      recorded.cancel();
    }
  }

  /**
   * Records a run for a worker and returns its id at once; nothing runs here (unless this process
   * is itself a worker of the run's queue: it then looks for the run at once). Params are
   * validated first (invalid params throw and record nothing). The run goes to `queue`, else the
   * workflow's (`@Workflow({ queue })`), else 'default'; lower `priority` first; runs sharing a
   * `concurrencyKey` never overlap beyond the queue's per-key limit; not before `notBefore`. With
   * an `idempotencyKey` used before, the earlier run's id.
   */
  async enqueue(name: string, options: EnqueueOptions = {}): Promise<{ readonly runId: string }> {
    this.assertOpen('enqueue');
    const { definition, params } = await this.prepare(name, options);
    this.assertOpen('enqueue');
    const { runId } = await this.runner.enqueue(definition, { ...options, params });
    this.worker?.notify();
    return { runId };
  }

  /**
   * Waits until a run (enqueued, started here or anywhere) has ended and returns its result, rebuilt
   * from its records: works from any process on the same database. Throws `SpineError` 'timeout'
   * after `timeoutMs` (default: no limit) with the run still going; it keeps going.
   */
  async waitForResult(runId: string, options: { readonly timeoutMs?: number; readonly pollIntervalMs?: number } = {}): Promise<WorkflowResult> {
    const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
    for (let poll = 0; ; poll++) {
      const run = await this.store.journal.getRun(runId);
      if (run === null) throw new SpineError('unknown-run', `Run "${runId}" is not in the run store; check the id (spine.listRuns shows recent runs).`);
      if (reachedEnd(run.status) || run.status === 'failed' || run.status === 'cancelled' || run.status === 'stopped') {
        const definition = this.runner.definitions.forRun(run)?.definition ?? this.registry.get(run.workflowName);
        if (definition === undefined) throw this.unknownWorkflow(run.workflowName);
        return this.runner.resultOf(run, definition);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new SpineError('timeout', `Run "${runId}" of workflow "${run.workflowName}" is still ${run.status} after ${options.timeoutMs} ms; it keeps going (wait again, or cancel it).`);
      }
      const pause = Math.min(left, options.pollIntervalMs ?? Math.min(1_000, 25 * 2 ** Math.min(poll, 6)));
      await this.wakes.finishedOrAfter(runId, pause); // at once when the run's end is reported (this process's, or any on PostgreSQL)
    }
  }

  /**
   * Makes this process a worker (see `WorkerOptions`): it claims due runs of its queues — queued,
   * parked runs whose wake-up time came, runs whose owner died — within each queue's limits
   * (`queues` option), and executes them here. Stopped by `close` (graceful hand-off). Throws if
   * a worker already runs here.
   */
  startWorker(options: WorkerOptions = {}): RunWorker {
    this.assertOpen('startWorker');
    if (this.worker !== null) throw new SpineError('invalid-argument', `This Spine already runs a worker (${this.worker.id}); one per Spine.`);
    const worker = new RunWorker(this.runner, capabilityOf(this.store, 'queue', 'A worker'), () => this.registry.names(), this.queueLimits, options, this.logger, this.runner.clock);
    const scheduler =
      options.scheduler === false || this.schedules.definitions.length === 0
        ? null
        : new Scheduler(
            capabilityOf(this.store, 'schedules', 'The scheduler'),
            this.schedules.definitions,
            this.schedules.fire,
            this.logger,
            options.scheduler === true || options.scheduler === undefined ? {} : options.scheduler,
            this.runner.clock,
          );
    this.worker = worker;
    this.scheduler = scheduler;
    this.wakes.listen();
    worker.start();
    scheduler?.start();
    return worker;
  }

  /**
   * The application's schedules: cron, time zone, calendar, catch-up policy, paused or not (the
   * database's state), the next `upcoming` fire times, and the newest fire with its run's status.
   */
  listSchedules(options: { readonly upcoming?: number } = {}): Promise<ScheduleInfo[]> {
    return this.schedules.list(new Date(this.clock.now()), options.upcoming ?? 3);
  }

  /** Pauses a schedule: no process fires it until it is resumed (the state is on the database, it survives restarts). */
  async pauseSchedule(name: string): Promise<ScheduleState> {
    return this.schedules.setPaused(name, true);
  }

  /** Resumes a paused schedule from now: fires that fell while it was paused are not caught up (`backfill` fires them). */
  async resumeSchedule(name: string): Promise<ScheduleState> {
    const state = await this.schedules.setPaused(name, false);
    this.scheduler?.notify();
    return state;
  }

  /**
   * Fires a schedule by hand, through the same path as its scheduler (trigger source 'manual'):
   * `at` is the fire time its params are computed from (default now). Refused when that time was
   * fired before. Returns the queued run.
   */
  async triggerSchedule(name: string, options: { readonly at?: Date } = {}): Promise<{ readonly runId: string; readonly fireTime: Date }> {
    this.assertOpen('triggerSchedule');
    return this.schedules.trigger(name, options.at, new Date(this.clock.now()));
  }

  /**
   * One run per fire time of a schedule whose date (in its time zone) lies in [from, to]
   * (yyyy-mm-dd) and that has no completed run: never fired → enqueued (trigger 'backfill'); its
   * run failed, was cancelled or stopped → re-queued, resuming where it stopped; completed or under
   * way → skipped. `dryRun` only reports the plan.
   */
  async backfill(name: string, options: { readonly from: string; readonly to: string; readonly dryRun?: boolean }): Promise<BackfillResult> {
    this.assertOpen('backfill');
    return this.schedules.backfill(name, options.from, options.to, options.dryRun ?? false);
  }

  /**
   * Sends a signal to a run from any process (see `Step.waitForSignal`): kept until a wait of the
   * run consumes it, each signal once; a run parked waiting for it is woken. Throws naming a run
   * that is unknown or finished.
   */
  async signal(runId: string, name: string, payload?: unknown, options: SignalOptions = {}): Promise<SignalRecord> {
    const sent = await this.runner.signal(runId, name, payload, options);
    this.worker?.notify(); // a run parked for it is due now: this process's worker looks at once
    return sent;
  }

  /** Approves the breached 'approve' quality gate of `step` in a run: it goes on. */
  approve(runId: string, step: string, options: { readonly note?: string; readonly by?: string } = {}): Promise<SignalRecord> {
    return this.signal(runId, approvalSignal(step), { approved: true, ...options });
  }

  /** Rejects the breached 'approve' quality gate of `step` in a run: the step fails (DATA_QUALITY) with the note. */
  reject(runId: string, step: string, options: { readonly note?: string; readonly by?: string } = {}): Promise<SignalRecord> {
    return this.signal(runId, approvalSignal(step), { approved: false, ...options });
  }

  /** How the params a caller gave are checked: unknown ones refused unless `forbidUnknownParams: false`. */
  private paramsCheck(given: Readonly<Record<string, unknown>> | undefined): ParamsCheckOptions {
    return { given: Object.keys(given ?? {}), forbidUnknown: this.forbidUnknownParams };
  }

  /** The workflow named and its params: defaults, then the given params, converted and validated by its DTO. */
  private async prepare(name: string, options: Pick<ExecuteOptions, 'params' | 'version'>): Promise<{ definition: WorkflowDefinition; params: Readonly<Record<string, unknown>> }> {
    const entry = this.registry.entry(name, options.version);
    if (entry === undefined && this.registry.get(name) !== undefined) {
      throw new SpineError(
        'unknown-workflow',
        `Workflow "${name}" has no registered version ${JSON.stringify(options.version)}; registered: ${this.registry
          .versions(name)
          .map((d) => d.version)
          .join(', ')}.`,
      );
    }
    if (entry === undefined) throw this.unknownWorkflow(name);
    if (options.params !== undefined) assertSafeKeys(options.params, `params of workflow "${name}"`);
    let params: Readonly<Record<string, unknown>> = { ...entry.definition.defaults, ...(options.params ?? {}) };
    params = await checkParams(name, entry.paramsType, entry.definition, params, this.paramsCheck(options.params));
    return { definition: entry.definition, params };
  }

  /**
   * Continues a failed or stopped run where it stopped (see `WorkflowRunner.resume`). A params
   * override is validated with the workflow's params DTO, merged over the run's params.
   */
  async resume(runId: string, options: Omit<ResumeOptions, 'workflow'> = {}): Promise<WorkflowResult> {
    this.assertOpen('resume');
    const prepared = await this.prepareResume(runId, options.paramsOverride);
    if (prepared === null) return this.runner.resume(runId, options); // throws: names the unknown run
    this.assertOpen('resume');
    return this.track(
      this.runner.resume(runId, {
        ...options,
        handoffSignal: this.handoffSignal(options.handoffSignal),
        ...(prepared.paramsOverride !== undefined && { paramsOverride: prepared.paramsOverride }),
      }),
    );
  }

  /**
   * Puts a failed or stopped run of a workflow with a queue back on that queue and returns at once
   * (see `WorkflowRunner.requeue`): a worker serving the queue resumes it where it stopped, so
   * nothing of it runs in this process unless this process is such a worker. A params override is
   * validated with the workflow's params DTO, merged over the run's params, and recorded (`by`:
   * who; a `params_overridden` event). Returns the run, now 'queued' (or 'running' when this
   * process's worker took it at once); `waitForResult(runId)` follows it to its end.
   */
  async requeue(runId: string, options: Pick<ResumeOptions, 'paramsOverride' | 'allowDefinitionChange' | 'by'> = {}): Promise<RunRecord> {
    this.assertOpen('requeue');
    const prepared = await this.prepareResume(runId, options.paramsOverride);
    if (prepared === null) return this.runner.requeue(runId, options); // throws: names the unknown run
    this.assertOpen('requeue');
    const run = await this.runner.requeue(runId, {
      ...options,
      ...(prepared.paramsOverride !== undefined && { paramsOverride: prepared.paramsOverride }),
    });
    this.worker?.notify();
    return run;
  }

  /** The registered workflow of a recorded run and the params override validated over its params; null when the run is unknown. */
  private async prepareResume(runId: string, paramsOverride: Readonly<Record<string, unknown>> | undefined): Promise<{ paramsOverride: Readonly<Record<string, unknown>> | undefined } | null> {
    if (paramsOverride !== undefined) assertSafeKeys(paramsOverride, `the params override of run "${runId}"`);
    const run = await this.store.journal.getRun(runId);
    if (run === null) return null;
    if (this.registry.get(run.workflowName) === undefined) throw this.unknownWorkflow(run.workflowName);
    // the version it resumes on (the one it started on, when held here) validates the override
    const held = this.runner.definitions.forRun(run)?.definition;
    const entry = this.registry.entry(run.workflowName, held?.version) ?? this.registry.entry(run.workflowName)!;
    if (paramsOverride === undefined) return { paramsOverride };
    // checked over the run's params; the override keeps its own fields (converted): those are what the run records as overridden
    const checked = await checkParams(run.workflowName, entry.paramsType, entry.definition, { ...run.params, ...paramsOverride }, this.paramsCheck(paramsOverride));
    return { paramsOverride: Object.fromEntries(Object.keys(paramsOverride).map((key) => [key, checked[key]])) };
  }

  /**
   * Stores a declarative workflow definition in the database (`core_workflows`, versioned, one
   * active version per name) — "an alternative to code definitions": a YAML/JSON file's path, its
   * text, or the document. It is checked against the schema and compiled with this application's
   * handlers and pipelines first. Workers (processes that start after it) load the active
   * definitions whose handlers and pipelines they have. `npx spine workflows import file.yaml`.
   */
  saveDefinition(source: DefinitionSource, options: { readonly createdBy?: string | null } = {}): Promise<SavedDefinition> {
    return saveDefinition(source, options, { store: this.store, handlers: this.handlers, runner: this.runner, registry: this.registry });
  }

  /** Registration is closed once `Spine.create` has returned; this always says so. */
  register(...items: readonly unknown[]): never {
    const what = items.map((item) => (typeof item === 'function' ? `class ${item.name}` : typeof item)).join(', ') || 'nothing';
    throw new SpineError(
      'registry-frozen',
      `spine.register(${what}): registration closed when Spine.create returned (${this.startedAt}). ` +
        'Pass workflows and pipelines to Spine.create({ workflows, pipelines }) or let discovery find them.',
    );
  }

  /**
   * Cancels a run. Executing here: it stops at its next step boundary, its running step's signal
   * aborted now (a wait or a map gives way at once). Executing in another process: that process
   * stops it at its next step commit or lease renewal. Failed, stopped, or orphaned (its process
   * died): marked cancelled at once. A completed or cancelled run is refused (`SpineError`
   * 'run-finished') and nothing is changed. Returns the run as it now is.
   */
  cancel(runId: string): Promise<RunRecord> {
    return this.runner.cancel(runId);
  }

  /**
   * Runs whose definition (version and hash) no live process holds: queued, parked or orphaned
   * runs that nothing will execute until a process of their version starts or they are migrated
   * (`migrateRuns`). Live processes: workers (their rows' definitions) and processes that recover
   * runs (they mark their definitions held); a run counts once `strandedAfterMs` passed without one.
   * `limit` (default 1,000); `maxAgeMs`: an answer of this Spine at most this old may be reused.
   */
  strandedRuns(options: { readonly limit?: number; readonly maxAgeMs?: number } = {}): Promise<StrandedRun[]> {
    return this.deploys.strandedRuns(options);
  }

  /**
   * Moves the unfinished runs of a workflow's version `from` to version `to` (default the newest
   * registered here): per run, what is kept, re-run and skipped, then (unless `dryRun`) moved,
   * one at a time, each only while no live process holds it. See `MigrateRunsOptions`.
   */
  migrateRuns(name: string, options: MigrateRunsOptions): Promise<MigrationResult> {
    this.assertOpen('migrateRuns');
    return this.deploys.migrateRuns(name, options);
  }

  /** Resumes every run whose lease expired now (recovery also does this on its own). */
  recover(): Promise<WorkflowResult[]> {
    this.assertOpen('recover');
    return this.track(this.runner.recover({ handoffSignal: this.shutdown.signal }));
  }

  /**
   * Graceful shutdown. Stops accepting runs and stops recovery; every run this Spine is executing
   * (started, resumed or recovered here) finishes its running step and is then handed off: left
   * running with its lease released, so another process's recovery continues it at once (its
   * `run` promise resolves with status 'running'; without a database it ends 'stopped'). Waits
   * at most `timeoutMs` (default 30 s) for that; a step still running then is cut off by closing
   * the database under it, and its run is recovered once its lease expires. Finally closes the
   * database connection Spine opened.
   */
  async close(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.recoveryTimer !== null) clearInterval(this.recoveryTimer);
    this.deploys.close();
    const stopping = this.worker?.stop({ timeoutMs: options.timeoutMs ?? 30_000 });
    const schedulerStopping = this.scheduler?.stop();
    this.shutdown.abort();
    const running = [...this.inFlight, ...this.recoveries];
    if (running.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.timeoutMs ?? 30_000)));
      await Promise.race([Promise.allSettled(running), timeout]);
      clearTimeout(timer);
    }
    await stopping;
    await schedulerStopping;
    await this.wakes.close();
    await this.opened.close();
  }

  /** How many runs this Spine is executing now (started, resumed or recovered here, or claimed by its worker). */
  get activeRuns(): number {
    return this.inFlight.size + (this.worker?.activeRuns ?? 0);
  }

  /** True once `close` was called: no new runs are accepted. */
  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new SpineError('closed', `spine.${what}: this Spine was closed; create a new one with Spine.create().`);
  }

  private unknownWorkflow(name: string): SpineError {
    const known = this.registry.names();
    return new SpineError(
      'unknown-workflow',
      `Workflow "${name}" is not registered${didYouMean(name, known) || '.'} ${known.length > 0 ? `Known workflows: ${known.join(', ')}.` : 'No workflows are registered.'}`,
    );
  }
}

/** "file:line" of the code that called Spine.create. */
function callerSite(): string {
  const lines = (new Error().stack ?? '').split('\n').slice(1);
  const outside = lines.find((line) => !line.includes(__filename));
  return `Spine.create at ${outside?.trim().replace(/^at\s+/, '') ?? 'an unknown location'}`;
}
