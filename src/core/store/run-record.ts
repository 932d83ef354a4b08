import type { Partition } from '../context/workflow-context';
import type { StepType } from '../definition/step-definition';
import type { ErrorCategory } from '../policy/error-category';
import type { QualityMetricsInit } from '../quality/quality-metrics';

/** The state of a run as stored. */
export type RunStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'stopped' | 'cancelled';

/** How a run ended, as a result reports it. */
export type RunOutcomeStatus = 'completed' | 'failed' | 'stopped' | 'cancelled';

/**
 * The state of one recorded step execution; 'retried' is a failed attempt that was tried again;
 * 'waiting' records a wait step's wake-up time (its output is `{ wakeAt }`) when the wait begins.
 */
export type StepStatus = 'completed' | 'failed' | 'skipped' | 'retried' | 'waiting';

/** Counters and cursor of a run, updated with every step record. */
export interface RunProgress {
  readonly status: RunStatus;
  readonly executedSteps: number;
  readonly completedSteps: number;
  readonly failedSteps: number;
  readonly skippedSteps: number;
  readonly lastCompletedStep: string | null;
  /** The lease holder that writes this progress; a store refuses the write when another holds the lease. */
  readonly leaseOwner: string | null;
}

/** A run as the store keeps it. */
export interface RunRecord extends RunProgress {
  readonly runId: string;
  readonly workflowName: string;
  readonly workflowVersion: number;
  readonly workflowHash: string;
  readonly domain: string | null;
  readonly params: Readonly<Record<string, unknown>>;
  readonly partition: Partition | null;
  readonly batchId: string | null;
  readonly traceId: string;
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
  readonly leaseExpiresAt: Date | null;
  /** Someone asked to cancel the run; its owner stops at the next step boundary. */
  readonly cancelRequested: boolean;
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

/** How a run ended, written once at its end (the lease is released with it). */
export interface RunOutcome extends RunProgress {
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
}

/** A checkpoint: the run's cursor after a step completed. */
export interface CheckpointRecord {
  readonly runId: string;
  readonly stepName: string;
  readonly iteration: number;
  /** Step executions in the run when this step completed. */
  readonly executedSteps: number;
  readonly createdAt: Date;
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

/** What `purge` removes: finished runs older than `before`; failed runs too unless `keepFailed`. */
export interface PurgeCriteria {
  readonly before: Date;
  readonly keepFailed?: boolean;
}
