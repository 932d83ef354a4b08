import type { DefinitionSource, SavedDefinition } from '../spine/spine.definitions';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import type { WorkflowDefinition } from '../core/definition/workflow-definition';
import { SpineError } from '../core/errors/spine-error';
import type { EnqueueOptions, ExecuteOptions, ResumeOptions } from '../core/runner/workflow-runner';
import type { QueueStats, WorkerRecord } from '../core/store/records/queue-record';
import type { WorkflowResult } from '../core/runner/workflow-result';
import type { CheckpointRecord, CheckpointSnapshot, MapItemRecord, QualityPoint, RunFilter, RunRecord, StepRecord } from '../core/store/records/run-record';
import { DecoratorMetadata, type Constructor } from '../decorators/decorator-metadata';
import { Spine } from '../spine/spine';
import type { BackfillResult, ScheduleInfo } from '../spine/spine.schedules';
import type { ScheduleState } from '../core/schedule/schedule';
import type { SignalRecord } from '../core/store/records/signal-record';
import type { RunEvent } from '../core/runner/run-event';
import type { WatchOptions } from '../spine/spine.watch';
import { NestClassProvider } from './nest-class.provider';
import { SPINE_MODULE_OPTIONS, type SpineModuleOptions } from './spine-module.options';

/**
 * Spine inside a Nest application, injectable anywhere `SpineModule` is visible.
 * - `onModuleInit`: finds every provider whose class is a `@Workflow` or a `@Pipeline`, compiles
 *   and checks them with the same compiler as `Spine.create` (one `SpineStartupError` listing every
 *   problem fails the application's start-up) and opens the database.
 * - `onApplicationBootstrap`: starts recovering runs whose lease expired.
 * - `beforeApplicationShutdown`: stops accepting runs, lets running steps finish (bounded by
 *   `shutdownTimeoutMs`) and hands the runs off with their leases released, so another instance
 *   continues them at once.
 */
@Injectable()
export class SpineService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private instance: Spine | null = null;
  private readonly logger = new Logger('Spine');

  /** Set by `spine worker --nest`: the command line starts the worker it was asked for, not the module's `worker` option. @internal */
  static workerByCaller = false;

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(SPINE_MODULE_OPTIONS) private readonly options: SpineModuleOptions,
  ) {}

  /** The `Spine` behind this service (available from `onModuleInit` on). */
  get spine(): Spine {
    if (this.instance === null) {
      throw new SpineError('closed', 'SpineService is not ready: Spine starts in onModuleInit; use it once the application has initialised (after app.init()).');
    }
    return this.instance;
  }

  async onModuleInit(): Promise<void> {
    const wrappers = new Map<Constructor, InstanceWrapper>();
    const workflows: Constructor[] = [];
    const pipelines: Constructor[] = [];
    const handlers: Constructor[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const type = wrapper.metatype as Constructor | null;
      if (typeof type !== 'function' || wrapper.isFactory || wrappers.has(type)) continue;
      const isWorkflow = DecoratorMetadata.isWorkflowClass(type);
      const isPipeline = DecoratorMetadata.isPipelineClass(type);
      const isHandler = DecoratorMetadata.isHandlerClass(type);
      if (!isWorkflow && !isPipeline && !isHandler) continue;
      wrappers.set(type, wrapper);
      if (isWorkflow) workflows.push(type);
      if (isPipeline) pipelines.push(type);
      if (isHandler) handlers.push(type);
    }
    // the worker starts with the application (onApplicationBootstrap), as recovery does
    const { global: _global, shutdownTimeoutMs: _timeout, worker: _worker, workflowFiles, ...options } = this.options;
    const yamlOnly = (workflowFiles ?? []).filter((glob) => !/\.(yaml|yml|json)$/i.test(glob));
    if (yamlOnly.length > 0) {
      throw new SpineError(
        'invalid-argument',
        `SpineModule workflowFiles takes globs of .yaml, .yml or .json files; ${yamlOnly.join(', ')} ${yamlOnly.length === 1 ? 'is' : 'are'} not (classes are found through Nest's providers).`,
      );
    }
    this.instance = await Spine.create({
      // Spine's notices (recovered runs, globs) through Nest's logger unless the options name one
      logger: {
        warn: (fields, message) => this.logger.warn(withFields(message, fields)),
        info: (fields, message) => this.logger.log(withFields(message, fields)),
        error: (fields, message) => this.logger.error(withFields(message, fields)),
      },
      ...options,
      classProvider: new NestClassProvider(this.moduleRef, wrappers),
      ...(workflowFiles !== undefined && { discover: workflowFiles }),
      workflows: [...(options.workflows ?? []), ...workflows],
      pipelines: [...(options.pipelines ?? []), ...pipelines],
      // providers with @Handler methods: the lambda handlers of YAML/JSON workflows
      handlers: [...(options.handlers ?? []), ...handlers],
      recoverOnStart: false,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.recoverOnStart !== false) this.spine.startRecovery();
    const worker = SpineService.workerByCaller ? undefined : this.options.worker;
    if (worker !== undefined && worker !== false) this.spine.startWorker(worker === true ? {} : worker);
    this.logger.log(await this.bootLine());
  }

  /** What spine does in this application, said once at boot: workflows, the database, the worker's queues, recovery, the console, schedules. */
  private async bootLine(): Promise<string> {
    const spine = this.spine;
    const names = spine.workflows().map((w) => w.name);
    const worker = this.options.worker;
    const queues = worker === undefined || worker === false ? null : worker === true ? ['default'] : (worker.queues ?? ['default']);
    const schedules = await spine.listSchedules().catch(() => []);
    const mount = this.options.console;
    return [
      `${names.length} workflow${names.length === 1 ? '' : 's'}${names.length > 0 ? ` (${names.join(', ')})` : ''}`,
      spine.durable ? 'runs recorded in the database' : 'runs kept in memory (this process only)',
      queues === null ? 'no worker' : `worker on ${queues.join(', ')}`,
      this.options.recoverOnStart === false ? 'recovery off' : 'recovering expired runs',
      mount === undefined ? 'no console' : `console at ${mount.path ?? '/spine'}`,
      `${schedules.length} schedule${schedules.length === 1 ? '' : 's'}${schedules.length > 0 ? ` (${schedules.map((s) => s.name).join(', ')})` : ''}`,
    ].join('; ');
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.instance === null) return;
    const timeoutMs = this.options.shutdownTimeoutMs ?? 30_000;
    const active = this.instance.activeRuns;
    if (active > 0) {
      this.logger.log(`Shutting down: ${active} run(s) finish their running step (at most ${timeoutMs / 1000} s), then are handed off with their leases released`);
    }
    await this.instance.close({ timeoutMs });
  }

  /** Runs a workflow by name and waits for it (see `Spine.run`). */
  run(workflow: string, options?: ExecuteOptions): Promise<WorkflowResult> {
    return this.spine.run(workflow, options);
  }

  /** Starts a run and answers once it is recorded, with its id and its result to come (see `Spine.start`). */
  start(workflow: string, options?: ExecuteOptions): Promise<{ readonly runId: string; readonly result: Promise<WorkflowResult> }> {
    return this.spine.start(workflow, options);
  }

  /** Records a run for a worker (any replica serving its queue) and answers at once with its id (see `Spine.enqueue`). */
  enqueue(workflow: string, options?: EnqueueOptions): Promise<{ readonly runId: string }> {
    return this.spine.enqueue(workflow, options);
  }

  /** A run's progress as events until it ends, from any replica (see `Spine.watch`); for a Nest `@Sse` route: `from(spine.watch(id))`. */
  watch(runId: string, options?: WatchOptions): AsyncGenerator<RunEvent, void, undefined> {
    return this.spine.watch(runId, options);
  }

  /** Waits for a run to end, from any replica (see `Spine.waitForResult`). */
  waitForResult(runId: string, options?: { readonly timeoutMs?: number }): Promise<WorkflowResult> {
    return this.spine.waitForResult(runId, options);
  }

  /** Queued / running / waiting runs per queue (see `Spine.queueStats`). */
  queueStats(): Promise<QueueStats[]> {
    return this.spine.queueStats();
  }

  /** Worker processes registered on the database (see `Spine.listWorkers`). */
  listWorkers(): Promise<WorkerRecord[]> {
    return this.spine.listWorkers();
  }

  /** Sends a signal to a run, from any replica (see `Spine.signal`). */
  signal(runId: string, name: string, payload?: unknown): Promise<SignalRecord> {
    return this.spine.signal(runId, name, payload);
  }

  /** Approves a run's breached 'approve' quality gate of `step` (see `Spine.approve`). */
  approve(runId: string, step: string, options?: { readonly note?: string; readonly by?: string }): Promise<SignalRecord> {
    return this.spine.approve(runId, step, options);
  }

  /** Rejects a run's breached 'approve' quality gate of `step`: the step fails (see `Spine.reject`). */
  reject(runId: string, step: string, options?: { readonly note?: string; readonly by?: string }): Promise<SignalRecord> {
    return this.spine.reject(runId, step, options);
  }

  /** The application's schedules with their state, next and last fires (see `Spine.listSchedules`). */
  listSchedules(options?: { readonly upcoming?: number }): Promise<ScheduleInfo[]> {
    return this.spine.listSchedules(options);
  }

  /** Pauses a schedule on the database (see `Spine.pauseSchedule`). */
  pauseSchedule(name: string): Promise<ScheduleState> {
    return this.spine.pauseSchedule(name);
  }

  /** Resumes a schedule from now (see `Spine.resumeSchedule`). */
  resumeSchedule(name: string): Promise<ScheduleState> {
    return this.spine.resumeSchedule(name);
  }

  /** Fires a schedule by hand (see `Spine.triggerSchedule`). */
  triggerSchedule(name: string, options?: { readonly at?: Date }): Promise<{ readonly runId: string; readonly fireTime: Date }> {
    return this.spine.triggerSchedule(name, options);
  }

  /** Runs for the fire times of a schedule in a date range with no completed run (see `Spine.backfill`). */
  backfill(name: string, options: { readonly from: string; readonly to: string; readonly dryRun?: boolean }): Promise<BackfillResult> {
    return this.spine.backfill(name, options);
  }

  /** Continues a failed or stopped run (see `Spine.resume`). */
  resume(runId: string, options?: Omit<ResumeOptions, 'workflow'>): Promise<WorkflowResult> {
    return this.spine.resume(runId, options);
  }

  /** Puts a failed or stopped run that was enqueued back on its queue for a worker (see `Spine.requeue`). */
  requeue(runId: string, options?: Pick<ResumeOptions, 'paramsOverride' | 'allowDefinitionChange'>): Promise<RunRecord> {
    return this.spine.requeue(runId, options);
  }

  /** Cancels a run, here or in another instance (see `Spine.cancel`). */
  cancel(runId: string): Promise<RunRecord> {
    return this.spine.cancel(runId);
  }

  getRun(runId: string): Promise<RunRecord | null> {
    return this.spine.getRun(runId);
  }

  listRuns(filter?: RunFilter): Promise<RunRecord[]> {
    return this.spine.listRuns(filter);
  }

  getRunSteps(runId: string): Promise<StepRecord[]> {
    return this.spine.getRunSteps(runId);
  }

  /** The run's checkpoints (its completed step rows), and which carry a context snapshot. */
  listCheckpoints(runId: string): Promise<CheckpointRecord[]> {
    return this.spine.listCheckpoints(runId);
  }

  /** The context snapshot kept at a step (the checkpoint strategy), or null. */
  getCheckpoint(runId: string, step: string): Promise<CheckpointSnapshot | null> {
    return this.spine.getCheckpoint(runId, step);
  }

  /** See `Spine.saveDefinition`. */
  saveDefinition(source: DefinitionSource, options: { readonly createdBy?: string | null } = {}): Promise<SavedDefinition> {
    return this.spine.saveDefinition(source, options);
  }

  /** See `Spine.deleteCheckpoints`. */
  deleteCheckpoints(runId: string): Promise<number> {
    return this.spine.deleteCheckpoints(runId);
  }

  /** The item rows of the run's maps run in place. */
  listMapItems(runId: string): Promise<MapItemRecord[]> {
    return this.spine.listMapItems(runId);
  }

  qualityTrend(workflow: string, step: string, days?: number): Promise<QualityPoint[]> {
    return this.spine.qualityTrend(workflow, step, days);
  }

  /** Every registered workflow, compiled. */
  workflows(): readonly WorkflowDefinition[] {
    return this.spine.workflows();
  }
}

/** A Nest log line: the message, then the record's fields (run id, step, trace id) as JSON. */
function withFields(message: string, fields: Readonly<Record<string, unknown>>): string {
  const shown = Object.entries(fields).filter(([, v]) => v !== undefined && v !== null);
  return shown.length === 0 ? message : `${message} ${JSON.stringify(Object.fromEntries(shown))}`;
}
