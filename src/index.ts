/**
 * spine-orchestration: context-first workflow orchestration for data pipelines.
 * The v1 group API is at `spine-orchestration/groups`; test helpers at `spine-orchestration/testing`.
 */
import { WorkflowFactory } from './core/definition/workflow.factory';
import type { WorkflowDefinition } from './core/definition/workflow-definition';
import { WorkflowDecorator } from './decorators/class.decorators';

/**
 * `@Workflow({ name, … })` marks a class as a workflow; `Workflow.define`, `Workflow.builder`,
 * `Workflow.fromGroup` and `Workflow.END` are the programmatic API. Both build the same definitions.
 */
export const Workflow: typeof WorkflowDecorator & typeof WorkflowFactory = Object.assign(WorkflowDecorator, WorkflowFactory);
/** A compiled workflow definition. */
export type Workflow = WorkflowDefinition;

export { WorkflowContext } from './core/context/workflow-context';
export type { CheckpointState, Partition, WorkflowContextInit, WorkflowContextJSON } from './core/context/workflow-context';
export { StepResult, LambdaStepResult } from './core/result/step-result';
export type { FailOptions, OkOptions, StepEvent, StepOutput } from './core/result/step-result';
export { Step } from './core/definition/step.factory';
export { WorkflowBuilder } from './core/definition/workflow.builder';
export { END, DEFAULT_MAX_STEPS } from './core/definition/workflow-definition';
export type { DefinitionChangePolicy, WorkflowDeclaration, WorkflowDefinition, WorkflowLookup } from './core/definition/workflow-definition';
export type {
  ChoiceCondition,
  ChoiceStepDefinition,
  ChoiceStepOptions,
  ItemsFactory,
  LambdaHandler,
  LambdaReturn,
  LambdaStepDefinition,
  LambdaStepOptions,
  MapIterator,
  MapStepDefinition,
  MapStepOptions,
  ParamsFactory,
  PipelineStepDefinition,
  RunScope,
  PipelineStepOptions,
  QualityMode,
  StepDeclaration,
  StepDefinition,
  StepOptions,
  StepRuntime,
  StepType,
  WaitStepDefinition,
  WaitStepOptions,
  MapItemErrorPolicy,
  WaitUntil,
  SignalWait,
  SignalWaitOptions,
} from './core/definition/step-definition';
export type { GroupShape } from './core/definition/group-conversion';
export { workflowSpec, workflowHash, type WorkflowSpec } from './core/definition/workflow-spec';
export { renderWorkflowGraph, workflowGraph, type GraphFormat, type GraphEdge, type GraphNode, type WorkflowGraph } from './core/definition/workflow.graph';
export { ErrorPolicy } from './core/policy/error-policy';
export { ErrorCategory, ERROR_CATEGORIES } from './core/policy/error-category';
export { RetryPolicy, type BackoffKind, type RetryPolicyOptions } from './core/policy/retry-policy';
export { QualityMetrics, type QualityMetricsInit } from './core/quality/quality-metrics';
export { QualityThresholds, type QualityThresholdsInit } from './core/quality/quality-thresholds';
export type { QualityDegradation, QualityDegradedHook, QualityTrendOptions } from './core/quality/quality-trend';
export { PipelineRegistry } from './core/pipeline/pipeline.registry';
export { InProcessDispatcher } from './core/pipeline/in-process.dispatcher';
export type { Dispatcher, PipelineFunction, PipelineHandler, PipelineLookup, PipelineParams, PipelineRequest, PipelineResult, PipelineReturn } from './core/pipeline/pipeline.types';
export {
  WorkflowRunner,
  type ClaimedRunOptions,
  type EnqueueOptions,
  type ExecuteOptions,
  type NewRunOptions,
  type RecoverOptions,
  type ResumeOptions,
  type WorkflowRunnerOptions,
} from './core/runner/workflow-runner';
export type { StepExecution, WorkflowResult } from './core/runner/workflow-result';
export type { RunEvent, RunEventListener, RunEventType } from './core/runner/run-event';
export type { StepInvocation, StepMiddleware } from './core/runner/step-middleware';
export type { MapItemError } from './core/runner/step-environment';
export { SystemClock, type Clock } from './core/clock/clock.port';
export { InMemoryRunStore } from './core/store/memory/in-memory-run.store';
export type { ClaimOutcome, CreateRunOutcome, Lease, LeaseHolder, NewRun, RenewOutcome, RunMove } from './core/store/records/store-writes';
export { holds, type HeldDefinitions, type UnheldRun } from './core/store/records/held-definitions';
export type { StrandedRun } from './core/runner/stranded-runs';
export type { RunMovePlan, StepRenames } from './core/runner/run-migration';
export type { MigrateRunsOptions, MigratedRun, MigrationResult } from './spine/spine.deploys';
export type { RunDefinitionRef } from './core/runner/run-event';
export { spineStore, type RunStore, type SpineStore, type StoreCapability } from './core/store/ports/spine-store';
export { WakeBus } from './core/store/wake-bus';
export type { Wakeup, Wakeups } from './core/store/ports/wakeups.port';
export type { RunJournal } from './core/store/ports/run-journal.port';
export type { RunLeases } from './core/store/ports/run-leases.port';
export type { RunHistory } from './core/store/ports/run-history.port';
export type { RunQueue } from './core/store/ports/run-queue.port';
export type { ScheduleStore } from './core/store/ports/schedule-store.port';
export type { SignalStore } from './core/store/ports/signal-store.port';
export type { DefinitionStore } from './core/store/ports/definition-store.port';
export { RECORD_LIMITS } from './core/store/record-limits';
export {
  DEFAULT_QUEUE,
  type ChildRunSummary,
  type ClaimedRun,
  type EnqueueSpec,
  type QueueClaimRequest,
  type QueueLimits,
  type QueueStats,
  type WorkerRecord,
} from './core/store/records/queue-record';
export { RunWorker, type WorkerOptions, type WorkerLogger } from './worker/run-worker';
export { Scheduler, type SchedulerOptions } from './worker/scheduler';
export {
  compileSchedule,
  dueFires,
  firesBetween,
  nextFires,
  recordedSchedule,
  type CatchUpPolicy,
  type CronCompiler,
  type DueFires,
  type FireTimes,
  type ScheduleDeclaration,
  type ScheduleDefinition,
  type ScheduleFire,
  type ScheduleOptions,
  type ScheduleParams,
  type ScheduleState,
  type RecordedSchedule,
  type ScheduleRegistration,
} from './core/schedule/schedule';
export { compileCron } from './schedule/cron-times';
export { localDate, tradingCalendar, type TradingCalendar, type TradingCalendarInit } from './core/schedule/trading-calendar';
export { TRIGGER_SOURCES, type RunTrigger, type TriggerSource } from './core/schedule/trigger';
export type { SignalRecord } from './core/store/records/signal-record';
export type { FireOutcome, FireRecord, ScheduleFireWrite } from './core/store/records/store-writes';
export type { BackfillEntry, BackfillResult, ScheduleInfo } from './spine/spine.schedules';
export type {
  CheckpointRecord,
  CheckpointSnapshot,
  MapItemRecord,
  Fenced,
  Fence,
  LostExecutions,
  RunCounters,
  StepCommit,
  PurgeCriteria,
  QualityPoint,
  RunFilter,
  RunOutcome,
  RunOutcomeStatus,
  RunProgress,
  RunRecord,
  RunStatus,
  StepRecord,
  StepStatus,
  StoredDefinition,
  RunCount,
  QualityStepSummary,
  StoredRunEvent,
} from './core/store/records/run-record';
export { RUN_STATUSES } from './core/store/records/run-record';
export { SpineError, WorkflowDefinitionError, LeaseLostError, type SpineErrorKind } from './core/errors/spine-error';
export { SpineValidationError, type FieldViolation } from './core/errors/spine-validation.error';
export { SpineStartupError } from './spine/spine-startup.error';
export { Spine } from './spine/spine';
export type { DefinitionSource, SavedDefinition } from './spine/spine.definitions';
export type { SpineLogger, SpineOptions } from './spine/spine.options';
export type { WatchOptions } from './spine/spine.watch';
export { defineConfig, type SpineConfig } from './spine/spine.config';
export { LambdaStep, PipelineStep, Choice, Wait, WaitForSignal, MapStep, Pipeline, Schedule, Handler, DecoratorMetadata } from './decorators';
export type {
  ChoiceDecoratorOptions,
  Constructor,
  LambdaStepDecoratorOptions,
  MapIteratorRef,
  MapStepDecoratorOptions,
  PipelineOptions,
  PipelineStepDecoratorOptions,
  StepDecorator,
  WaitDecoratorOptions,
  WaitForSignalDecoratorOptions,
  WorkflowOptions,
} from './decorators';
export { StepError } from './core/errors/step-error';
export { StepTimeoutError, RunCancelledError, RunHaltedError, RunTimeoutError } from './core/errors/step-timeout.error';
export { HandlerRegistry, type HandlerLookup } from './declarative/handler-registry';
export { loadWorkflow, workflowFromDocument, type LoadWorkflowOptions } from './declarative/load-workflow';
export { WORKFLOW_SCHEMA_FILE, type WorkflowDocument } from './declarative/workflow-document';
export { compileExpression, ExpressionError, type CompiledExpression, type ExpressionScope } from './declarative/expression';
export { createConsoleHandler, startConsole, type ConsoleHandler, type ConsoleOptions, type ConsoleServer, type ConsoleServerOptions } from './console';

/**
 * DataSource options for MySQL/MariaDB from a URL, as `spine-orchestration/typeorm` exports it
 * (TypeORM is loaded when this is called, not with the root entry). A URL in `database` or
 * `SPINE_DATABASE_URL` does the same without it.
 */
export function mysqlOptions(url: string, type: 'mysql' | 'mariadb' = 'mariadb'): import('typeorm').DataSourceOptions {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./persistence') as typeof import('./persistence')).mysqlOptions(url, type);
}

/**
 * DataSource options for PostgreSQL from a URL or connection fields, as
 * `spine-orchestration/typeorm` exports it (needs `npm i pg`). A `postgres://` URL in `database`
 * or `SPINE_DATABASE_URL` does the same without it.
 */
export function postgresOptions(connection: string | import('./persistence').PostgresConnection): import('typeorm').DataSourceOptions {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./persistence') as typeof import('./persistence')).postgresOptions(connection);
}
