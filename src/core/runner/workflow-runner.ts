import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { SystemClock, type Clock } from '../clock/clock.port';
import type { RunRecord } from '../store/run-record';
import { WorkflowContext, type Partition } from '../context/workflow-context';
import type { StepDefinition } from '../definition/step-definition';
import { compileStep, compileWorkflow, isCompiledWorkflow } from '../definition/workflow.compiler';
import {
  isWorkflowLike,
  type WorkflowDeclaration,
  type WorkflowDefinition,
  type WorkflowLookup,
} from '../definition/workflow-definition';
import { SpineError, WorkflowDefinitionError } from '../errors/spine-error';
import { workflowHash } from '../definition/workflow-spec';
import { InProcessDispatcher, unknownPipeline } from '../pipeline/in-process.dispatcher';
import { PipelineRegistry } from '../pipeline/pipeline.registry';
import type { Dispatcher, PipelineLookup } from '../pipeline/pipeline.types';
import { RetryPolicy, type RetryPolicyOptions } from '../policy/retry-policy';
import { InMemoryRunStore } from '../store/in-memory-run.store';
import type { RunStore } from '../store/run-store.port';
import type { RunEventListener } from './run-event';
import { RunExecution, type RunnerServices } from './run-execution';
import type { StepMiddleware } from './step-middleware';
import type { WorkflowResult } from './workflow-result';

/** How a runner is set up; every field is optional. */
export interface WorkflowRunnerOptions {
  /** Pipelines run in-process (ignored when `dispatcher` is given). */
  readonly pipelines?: PipelineLookup;
  readonly dispatcher?: Dispatcher;
  /** Where runs are recorded (default: in memory). */
  readonly store?: RunStore;
  /** Wraps every step attempt, outermost first. */
  readonly middleware?: readonly StepMiddleware[];
  readonly onEvent?: RunEventListener;
  /** Retry policy of steps with `onError: RETRY` and no `retry` of their own. */
  readonly defaultRetry?: RetryPolicy | RetryPolicyOptions;
  /** Timeout of steps without `timeoutMs` (default none). */
  readonly defaultTimeoutMs?: number;
  readonly clock?: Clock;
  /** Workflows that map iterators may name. */
  readonly workflows?: WorkflowLookup;
  /** Source of randomness for retry jitter (tests pin it). */
  readonly random?: () => number;
  /**
   * How recorded runs are owned: `owner` (default host:pid:random), lease `durationMs` (default
   * 30 s) renewed every `heartbeatMs` (default 10 s). A run whose lease expired — its process
   * died — may be resumed by anyone; a writer whose lease was taken over is fenced off.
   */
  readonly lease?: { readonly owner?: string; readonly durationMs?: number; readonly heartbeatMs?: number };
  /**
   * Checks (and may convert) the params of each map item's run against its iterator workflow
   * before the item runs; throwing fails that item (category VALIDATION) with the message.
   * `Spine` passes the iterator's params class (`@Workflow({ params })`).
   */
  readonly itemParamsValidator?: ParamsValidator;
}

/** Checks a run's params for a workflow; returns them (converted as need be) or throws naming what is wrong. */
export type ParamsValidator = (
  workflow: WorkflowDefinition,
  params: Readonly<Record<string, unknown>>,
) => Readonly<Record<string, unknown>> | Promise<Readonly<Record<string, unknown>>>;

/** How one run is started. */
export interface ExecuteOptions {
  readonly params?: Readonly<Record<string, unknown>>;
  readonly partition?: Partition | null;
  readonly batchId?: string | null;
  readonly traceId?: string;
  readonly runId?: string;
  readonly asOfDate?: string | null;
  readonly captureId?: string | null;
  /** A second start with the same key returns the earlier run (whatever its state) instead of running again. */
  readonly idempotencyKey?: string | null;
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Starts at this step; earlier steps are recorded as skipped. */
  readonly startFrom?: string;
  /** Pipelines are not called (they report what would run); lambdas see `ctx.metadata.dryRun === true`. */
  readonly dryRun?: boolean;
  /** Aborting it cancels the run and aborts the running step's signal. */
  readonly signal?: AbortSignal;
  /** Aborting it stops the run at the next step boundary without touching the running step. */
  readonly stopSignal?: AbortSignal;
  /**
   * Graceful shutdown: aborting it ends this process's part at the next step boundary, leaving a
   * recorded run running with its lease released so another process continues it at once; the
   * result's status is then 'running'. Without a durable store the run ends 'stopped'.
   */
  readonly handoffSignal?: AbortSignal;
}

/** How a run is resumed. */
export interface ResumeOptions {
  /** Params merged over the ones the run started with (e.g. a fixed input path). */
  readonly paramsOverride?: Readonly<Record<string, unknown>>;
  /** The workflow to resume with (default: found by the run's workflow name through `workflows`). */
  readonly workflow?: WorkflowDefinition | WorkflowDeclaration;
  /** Resume even when the definition changed since the run started. */
  readonly allowDefinitionChange?: boolean;
  readonly signal?: AbortSignal;
  readonly stopSignal?: AbortSignal;
  /** See `ExecuteOptions.handoffSignal`. */
  readonly handoffSignal?: AbortSignal;
}

/** Executes workflows: steps, routing, policies, quality gates, records and events. */
export class WorkflowRunner {
  readonly store: RunStore;
  readonly dispatcher: Dispatcher;
  private readonly services: RunnerServices;
  private readonly workflows: WorkflowLookup | null;
  private readonly validated = new WeakSet<WorkflowDefinition>();
  private readonly iterators = new WeakMap<StepDefinition, WorkflowDefinition>();

  constructor(options: WorkflowRunnerOptions = {}) {
    this.dispatcher = options.dispatcher ?? new InProcessDispatcher(options.pipelines ?? new PipelineRegistry());
    this.store = options.store ?? new InMemoryRunStore();
    this.workflows = options.workflows ?? null;
    const timeout = options.defaultTimeoutMs;
    if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0)) {
      throw new SpineError('invalid-argument', `defaultTimeoutMs must be a number > 0 (got ${String(timeout)}).`);
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
      lease: {
        owner: options.lease?.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
        durationMs: options.lease?.durationMs ?? 30_000,
        heartbeatMs: options.lease?.heartbeatMs ?? 10_000,
      },
      iteratorWorkflow: (iterator) => this.iteratorWorkflow(iterator),
      itemParamsValidator: options.itemParamsValidator ?? null,
    };
  }

  /**
   * Checks a workflow against this runner: every pipeline is known to the dispatcher and every
   * map iterator named by string can be found. Throws one error listing every problem.
   */
  validate(workflow: WorkflowDefinition | WorkflowDeclaration): WorkflowDefinition {
    const definition = compileWorkflow(workflow);
    if (this.validated.has(definition)) return definition;
    const problems: string[] = [];
    this.collectProblems(definition, '', problems, new Set());
    if (problems.length > 0) throw new WorkflowDefinitionError(`Workflow "${definition.name}"`, problems);
    this.validated.add(definition);
    return definition;
  }

  /** Runs a workflow to its end and returns what happened; nothing is recorded when it cannot start. */
  async execute(workflow: WorkflowDefinition | WorkflowDeclaration, options: ExecuteOptions = {}): Promise<WorkflowResult> {
    const definition = this.validate(workflow);
    const startFrom = options.startFrom ?? null;
    if (startFrom !== null && !definition.steps.some((s) => s.name === startFrom)) {
      throw new SpineError(
        'unknown-step',
        `Workflow "${definition.name}" has no step "${startFrom}" to start from. Steps: ${definition.steps.map((s) => s.name).join(', ')}.`,
      );
    }
    const dryRun = options.dryRun === true;
    const context = WorkflowContext.create({
      runId: options.runId,
      traceId: options.traceId,
      batchId: options.batchId ?? null,
      startedAt: new Date(this.services.clock.now()),
      params: { ...definition.defaults, ...(options.params ?? {}) },
      metadata: { ...(options.metadata ?? {}), workflow: definition.name, ...(dryRun && { dryRun: true }) },
      partition: options.partition ?? null,
      asOfDate: options.asOfDate ?? null,
      captureId: options.captureId ?? null,
      idempotencyKey: options.idempotencyKey ?? null,
    });
    const execution = new RunExecution(this.services, definition, context, {
      dryRun,
      startFrom,
      signal: options.signal ?? null,
      stopSignal: options.stopSignal ?? null,
      handoffSignal: options.handoffSignal ?? null,
      persist: !dryRun,
      leased: true,
      keepEvents: true,
      parentRunId: null,
      resume: null,
    });
    return execution.run();
  }

  /**
   * Continues a failed or stopped run at the step that did not complete: completed steps are not run
   * again and their outputs are in the context (`ctx.metadata.resumed === true`). The workflow is
   * found by the run's name through `workflows` unless given; a definition whose hash differs from
   * the one the run started with is refused unless `allowDefinitionChange`.
   */
  async resume(runId: string, options: ResumeOptions = {}): Promise<WorkflowResult> {
    const run = await this.store.getRun(runId);
    if (run === null) throw new SpineError('unknown-run', `Run "${runId}" is not in the run store; check the id (listRuns shows recent runs).`);
    const where = `Run "${runId}" of workflow "${run.workflowName}"`;
    if (run.status === 'completed') throw new SpineError('invalid-argument', `${where} already completed; there is nothing to resume.`);
    if (run.status === 'cancelled') throw new SpineError('invalid-argument', `${where} was cancelled; cancelled runs are final. Start a new run instead.`);
    const found = options.workflow ?? this.workflows?.get(run.workflowName);
    if (found === undefined) throw new SpineError('unknown-workflow', `${where}: ${unknownWorkflowMessage(run.workflowName, this.workflows)}`);
    const definition = this.validate(found);
    const hash = workflowHash(definition);
    if (hash !== run.workflowHash && options.allowDefinitionChange !== true) {
      throw new SpineError(
        'definition-changed',
        `${where} started with definition ${run.workflowHash.slice(0, 12)} (version ${run.workflowVersion}); the workflow is now ` +
          `${hash.slice(0, 12)} (version ${definition.version}). Resume with { allowDefinitionChange: true } to run the changed ` +
          'definition from where the run stopped, or start a new run.',
      );
    }
    const { lease, clock } = this.services;
    const now = clock.now();
    const claim = await this.store.claimRun(runId, { owner: lease.owner, expiresAt: new Date(now + lease.durationMs) }, new Date(now));
    if (!claim.claimed) {
      const holder = claim.run;
      throw new SpineError(
        'lease-held',
        `${where} is ${holder?.status ?? run.status} and held by ${holder?.leaseOwner ?? 'another process'} until ` +
          `${holder?.leaseExpiresAt?.toISOString() ?? 'its lease expires'}; it resumes there, or anywhere once that lease expires.`,
      );
    }
    const records = await this.store.getRunSteps(runId);
    const context = WorkflowContext.create({
      runId,
      traceId: run.traceId,
      batchId: run.batchId,
      startedAt: run.startedAt,
      params: { ...run.params, ...(options.paramsOverride ?? {}) },
      metadata: { workflow: definition.name, resumed: true },
      partition: run.partition,
      asOfDate: run.asOfDate,
      captureId: run.captureId,
      idempotencyKey: run.idempotencyKey,
    });
    const execution = new RunExecution(this.services, definition, context, {
      dryRun: false,
      startFrom: null,
      signal: options.signal ?? null,
      stopSignal: options.stopSignal ?? null,
      handoffSignal: options.handoffSignal ?? null,
      persist: true,
      leased: true,
      keepEvents: true,
      parentRunId: run.parentRunId,
      resume: records,
    });
    return execution.run();
  }

  /**
   * Asks a run to cancel: a running run stops at its next step boundary (in this or another
   * process); a failed or stopped run is marked cancelled at once. Returns the run as it now is.
   */
  async cancel(runId: string): Promise<RunRecord> {
    const run = await this.store.requestCancel(runId);
    if (run === null) throw new SpineError('unknown-run', `Run "${runId}" is not in the run store; check the id (listRuns shows recent runs).`);
    if (run.status !== 'failed' && run.status !== 'stopped') return run;
    const now = this.services.clock.now();
    const claim = await this.store.claimRun(runId, { owner: this.services.lease.owner, expiresAt: new Date(now + this.services.lease.durationMs) }, new Date(now));
    if (!claim.claimed) return claim.run ?? run;
    await this.store.finishRun(runId, {
      status: 'cancelled',
      executedSteps: run.executedSteps,
      completedSteps: run.completedSteps,
      failedSteps: run.failedSteps,
      skippedSteps: run.skippedSteps,
      lastCompletedStep: run.lastCompletedStep,
      leaseOwner: this.services.lease.owner,
      finishedAt: new Date(now),
      durationMs: run.durationMs ?? 0,
      errorStep: run.errorStep,
      error: run.error,
      errorCategory: run.errorCategory,
    });
    return (await this.store.getRun(runId))!;
  }

  /**
   * Resumes runs whose lease expired (their process died), oldest first, one at a time; a run
   * another process claims first is left to it. Returns what each resumed run did.
   */
  async recover(
    options: { readonly limit?: number; readonly signal?: AbortSignal; readonly stopSignal?: AbortSignal; readonly handoffSignal?: AbortSignal } = {},
  ): Promise<WorkflowResult[]> {
    const expired = await this.store.listExpiredRuns(new Date(this.services.clock.now()), options.limit ?? 100);
    const results: WorkflowResult[] = [];
    const { signal, stopSignal, handoffSignal } = options;
    for (const run of expired) {
      if (stopSignal?.aborted || handoffSignal?.aborted) break;
      try {
        results.push(await this.resume(run.runId, { ...(signal && { signal }), ...(stopSignal && { stopSignal }), ...(handoffSignal && { handoffSignal }) }));
      } catch (error) {
        // Claimed by another process first, finished by its owner since it was listed, or a
        // workflow this runner does not know (another application sharing the database).
        if (error instanceof SpineError && ['lease-held', 'invalid-argument', 'unknown-workflow'].includes(error.kind)) continue;
        throw error;
      }
    }
    return results;
  }

  private iteratorWorkflow(iterator: WorkflowDefinition | StepDefinition | string): WorkflowDefinition {
    if (typeof iterator === 'string') {
      const found = this.workflows?.get(iterator);
      if (found === undefined) throw new SpineError('unknown-workflow', unknownWorkflowMessage(iterator, this.workflows));
      return compileWorkflow(found);
    }
    if (isWorkflowLike(iterator)) return isCompiledWorkflow(iterator) ? iterator : compileWorkflow(iterator);
    let wrapped = this.iterators.get(iterator);
    if (wrapped === undefined) {
      const step = compileStep(iterator);
      wrapped = compileWorkflow({ name: step.name, steps: [step] });
      this.iterators.set(iterator, wrapped);
    }
    return wrapped;
  }

  private collectProblems(definition: WorkflowDefinition, prefix: string, problems: string[], seen: Set<WorkflowDefinition>): void {
    if (seen.has(definition)) return;
    seen.add(definition);
    for (const step of definition.steps) {
      if (step.type === 'pipeline' && !this.dispatcher.has(step.pipeline)) {
        problems.push(`${prefix}step "${step.name}": ${unknownPipeline(step.pipeline, this.dispatcher.names()).message}`);
      }
      if (step.type !== 'map') continue;
      const where = `${prefix}step "${step.name}" iterator: `;
      if (typeof step.iterator === 'string' && this.workflows?.get(step.iterator) === undefined) {
        problems.push(`${where}${unknownWorkflowMessage(step.iterator, this.workflows)}`);
        continue;
      }
      this.collectProblems(this.iteratorWorkflow(step.iterator), where, problems, seen);
    }
  }
}

function unknownWorkflowMessage(name: string, workflows: WorkflowLookup | null): string {
  if (workflows === null) return `workflow "${name}" cannot be found: the runner has no workflow lookup; pass { workflows } to the WorkflowRunner.`;
  const known = workflows.names();
  return `workflow "${name}" is not registered. ${known.length > 0 ? `Known workflows: ${known.join(', ')}.` : 'No workflows are registered.'}`;
}
