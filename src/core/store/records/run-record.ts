import type { Partition } from '../../context/workflow-context';
import type { StepType } from '../../definition/step-definition';
import type { ErrorCategory } from '../../policy/error-category';
import type { QualityMetricsInit } from '../../quality/quality-metrics';
import type { TriggerSource } from '../../schedule/trigger';

/**
 * The state of a run as stored. 'queued': enqueued, not started yet (a worker starts it);
 * 'waiting': a worker's run parked in a durable wait or a distributed map, its lease released
 * until its wake-up time (`leaseExpiresAt`).
 */
export type RunStatus = 'queued' | 'running' | 'waiting' | 'completed' | 'partial' | 'failed' | 'stopped' | 'cancelled';

/** Every run status, in the order a run goes through them. */
export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'waiting', 'completed', 'partial', 'failed', 'stopped', 'cancelled'];

/**
 * How a run ended, as a result reports it. 'partial': the run went to its end, but a step failed
 * under `onError: CONTINUE` or a map step tolerated failed items (the design's PARTIAL).
 */
export type RunOutcomeStatus = 'completed' | 'partial' | 'failed' | 'stopped' | 'cancelled';

/** The run went to its end: 'completed' or 'partial' (final, like 'cancelled'). */
export function reachedEnd(status: string): status is 'completed' | 'partial' {
  return status === 'completed' || status === 'partial';
}

/** Statuses no execution, recovery or cancel changes any more (SQL lists them). */
export const FINAL_STATUSES: readonly RunStatus[] = ['completed', 'partial', 'cancelled'];

/**
 * The state of one recorded step execution; 'retried' is a failed attempt that was tried again;
 * 'waiting' records a wait step's wake-up time (its output is `{ wakeAt }`) when the wait begins.
 */
export type StepStatus = 'completed' | 'failed' | 'skipped' | 'retried' | 'waiting';

/**
 * The claim an execution writes under: the run that was claimed (the top-level run, for a map
 * item) and the epoch that claim took. Each claim of a run (start, resume, recovery) takes a new,
 * higher epoch; a store refuses every write whose fence is no longer the run's current epoch.
 */
export interface Fence {
  /** The claimed run: the run itself, or its top-level run for a map item. */
  readonly runId: string;
  readonly epoch: number;
  /** Who claimed it (a process, `host:pid:random` by default): for messages, not for fencing. */
  readonly owner: string;
}

/** Counters and cursor of a run. */
export interface RunCounters {
  readonly status: RunStatus;
  readonly executedSteps: number;
  readonly completedSteps: number;
  readonly failedSteps: number;
  readonly skippedSteps: number;
  readonly lastCompletedStep: string | null;
}

/** The claim a write is made under. */
export interface Fenced {
  /** The claim this write is made under (null: an unleased writer); a store refuses the write when the claim is stale. */
  readonly fence: Fence | null;
}

/**
 * Counters and cursor of a run, handed with every step record under the writer's fence. A store
 * need not rewrite them per step: `countersDue` says when they should reach the run's row (at
 * most every ~250 ms while the run goes on, and on a wait), so listings show live progress.
 */
export interface RunProgress extends RunCounters, Fenced {
  readonly countersDue: boolean;
  /** A context snapshot to keep with this step (the checkpoint strategy chose it), else null. */
  readonly snapshot: Readonly<Record<string, unknown>> | null;
}

/** What a step commit learned besides that it committed: someone asked to cancel the run. */
export type StepCommit = 'recorded' | 'cancel-requested';

/** How often a run's execution was lost in a row while one step was in flight (poison-step detection). */
export interface LostExecutions {
  /** The step in flight, as `<step>:<iteration>` (null when none counts: a wait or a map step). */
  readonly step: string | null;
  readonly count: number;
}

/** A run as the store keeps it. */
export interface RunRecord extends RunCounters {
  readonly runId: string;
  readonly workflowName: string;
  readonly workflowVersion: number;
  readonly workflowHash: string;
  /** The application build the run started on (`Spine.create({ appVersion })`); null when none was known. */
  readonly appVersion: string | null;
  readonly domain: string | null;
  /** The params the run executes with now (a resume or a requeue may have overridden some). */
  readonly params: Readonly<Record<string, unknown>>;
  /** The params the run started with, before any override (each override is a `params_overridden` event: who, when, which fields). */
  readonly originalParams: Readonly<Record<string, unknown>>;
  readonly partition: Partition | null;
  readonly batchId: string | null;
  readonly traceId: string;
  /** When the run was recorded (enqueued or started); null for runs recorded before this field existed. */
  readonly createdAt: Date | null;
  /** W3C traceparent the run's executions continue (the span active when it was started or enqueued, else its first run span); null when not traced. */
  readonly traceparent: string | null;
  /** The signal a run parked in a signal wait waits for: only that signal wakes it (null when it is not parked for one). */
  readonly waitingFor: string | null;
  readonly asOfDate: string | null;
  readonly captureId: string | null;
  readonly idempotencyKey: string | null;
  readonly parentRunId: string | null;
  readonly totalSteps: number;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly durationMs: number | null;
  readonly errorStep: string | null;
  readonly error: string | null;
  readonly errorCategory: ErrorCategory | null;
  /** Who owns the run while it runs (a process), and until when; null when nobody does. */
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: Date | null;
  /** The epoch of the run's latest claim (0: never claimed; map items are fenced by their top-level run's). */
  readonly leaseEpoch: number;
  /** The top-level run of a map item (at any depth); null for a top-level run. */
  readonly rootRunId: string | null;
  /** Someone asked to cancel the run; its owner stops at the next step boundary. */
  readonly cancelRequested: boolean;
  /** Executions of the run lost in a row with the same step in flight (see `LostExecutions`). */
  readonly lostExecutions: number;
  readonly lostStep: string | null;
  /** The queue a worker runs it from (null: it runs in the process that started it). */
  readonly queue: string | null;
  /** Lower runs first within its queue (default 0). */
  readonly priority: number;
  /** Runs sharing a key never run more than the queue's per-key limit at once (null: no key). */
  readonly concurrencyKey: string | null;
  /** What started the run (see `TriggerSource`); a map item's run: 'api'. */
  readonly triggerSource: TriggerSource;
  /** The schedule whose fire the run is, and the fire time (null when it is not a schedule's fire). */
  readonly triggerSchedule: string | null;
  readonly triggerFireTime: Date | null;
  /** Set when a column of the stored run could not be read (its text is not JSON): names the column. */
  readonly corruption?: string;
}

/** One step execution (one attempt, or one skip) as the store keeps it. */
export interface StepRecord {
  readonly runId: string;
  readonly stepName: string;
  readonly stepType: StepType;
  /** 1 for the step's first execution in the run; higher in loops. */
  readonly iteration: number;
  readonly attempt: number;
  readonly status: StepStatus;
  readonly idempotencyKey: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly durationMs: number;
  readonly output: Readonly<Record<string, unknown>> | null;
  readonly contextUpdates: Readonly<Record<string, unknown>> | null;
  readonly error: string | null;
  readonly errorCategory: ErrorCategory | null;
  readonly quality: QualityMetricsInit | null;
  readonly nextStep: string | null;
}

/** How a run ended, written once at its end (the lease is released with it), under the writer's fence. */
export interface RunOutcome extends RunCounters, Fenced {
  readonly status: RunOutcomeStatus;
  readonly finishedAt: Date;
  readonly durationMs: number;
  readonly errorStep: string | null;
  readonly error: string | null;
  readonly errorCategory: ErrorCategory | null;
}

/** Filter of `listRuns`; newest first. */
export interface RunFilter {
  readonly workflow?: string;
  readonly status?: RunStatus | readonly RunStatus[];
  readonly batchId?: string;
  readonly since?: Date;
  readonly limit?: number;
  /** The items of one map step's run (child runs); by default only top-level runs are listed. */
  readonly parentRunId?: string;
  /** List map items' child runs too. */
  readonly includeChildren?: boolean;
  /** What started the runs (api, schedule, …). */
  readonly trigger?: TriggerSource;
  /** Runs whose partition key (`date=2026-10-23|tier=NMS Tier 1`: keys sorted, `|`-joined) contains this text. */
  readonly partition?: string;
  /** Runs started before this time. */
  readonly until?: Date;
  /**
   * Keyset paging: runs after this one in the listing's order (newest first, then run id), so the
   * next page costs the same at any depth; pass the last run of the page before.
   */
  readonly before?: { readonly startedAt: Date; readonly runId: string };
}

/** How many top-level runs of a workflow ended up in a status (see `RunStore.countRuns`). */
export interface RunCount {
  readonly workflow: string;
  readonly status: RunStatus;
  readonly count: number;
  /** When the newest of them started. */
  readonly lastStartedAt: Date;
}

/** A step of a workflow that recorded quality metrics, with their totals (the design's `v_workflow_step_quality`). */
export interface QualityStepSummary {
  readonly workflow: string;
  readonly step: string;
  /** Executions with quality metrics. */
  readonly executions: number;
  readonly passed: number;
  readonly failed: number;
  readonly lastAt: Date;
}

/** A stored run event (the events table's row): what the run said, in order. */
export interface StoredRunEvent {
  readonly id: number;
  readonly type: string;
  readonly step: string | null;
  readonly attempt: number | null;
  /** The event's own fields (error, reason, status, …). */
  readonly payload: Readonly<Record<string, unknown>>;
  readonly at: Date;
}

/**
 * A checkpoint: the run's cursor after a step completed (every completed step row is one). Where
 * the checkpoint strategy kept a context snapshot at that step, `hasContext` is true and
 * `getCheckpoint` returns it.
 */
export interface CheckpointRecord {
  readonly runId: string;
  readonly stepName: string;
  readonly iteration: number;
  /** Step executions in the run when this step completed. */
  readonly executedSteps: number;
  readonly createdAt: Date;
  readonly hasContext: boolean;
}

/** A checkpoint with the run's context as it was right after the step (a `WorkflowContext.toJSON()` form). */
export interface CheckpointSnapshot extends CheckpointRecord {
  readonly context: Readonly<Record<string, unknown>>;
}

/**
 * One item of a map step run in place, as a durable store keeps it: one row per item (not a run
 * of its own), written under the top-level run's fence once the item finished. A re-run of the
 * map step takes completed items' outputs from these rows and runs the others again.
 */
export interface MapItemRecord {
  /** The run whose map step it is. */
  readonly runId: string;
  readonly stepName: string;
  /** The map step's iteration in its run. */
  readonly iteration: number;
  readonly index: number;
  readonly status: 'completed' | 'failed';
  /** Attempts of the item's step. */
  readonly attempts: number;
  /** The item's result (a completed item), or null. */
  readonly output: unknown;
  readonly error: string | null;
  readonly errorStep: string | null;
  readonly errorCategory: ErrorCategory | null;
  /** The epoch of the claim it was written under. */
  readonly epoch: number;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly durationMs: number;
}

/** One step execution's quality metrics, for trends across runs. */
export interface QualityPoint {
  readonly runId: string;
  readonly at: Date;
  readonly recordCount: number;
  readonly validCount: number;
  readonly invalidCount: number;
  readonly nullCount: number;
  readonly validRate: number;
  readonly nullRate: number;
  readonly passed: boolean;
}

/**
 * What `purge` removes: top-level runs finished before `before` (completed and cancelled; failed
 * too unless `keepFailed`), each with its map items' runs; a kept run keeps everything it has.
 */
export interface PurgeCriteria {
  readonly before: Date;
  readonly keepFailed?: boolean;
}

/**
 * A workflow definition kept in the store as a document (YAML/JSON, the design's "alternative to
 * code definitions"): versioned, with its description, tags and active flag. Workers load the
 * active ones whose handlers and pipelines they have.
 */
export interface StoredDefinition {
  readonly name: string;
  readonly domain: string | null;
  readonly version: number;
  readonly description: string | null;
  readonly tags: readonly string[];
  /** The document as written (the JSON of the YAML). */
  readonly document: Readonly<Record<string, unknown>>;
  /** SHA-256 of the document's canonical JSON. */
  readonly hash: string;
  readonly isActive: boolean;
  readonly createdBy: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}
