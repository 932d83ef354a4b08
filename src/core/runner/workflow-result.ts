import type { WorkflowContext } from '../context/workflow-context';
import type { StepType } from '../definition/step-definition';
import type { ErrorCategory } from '../policy/error-category';
import type { QualityMetrics } from '../quality/quality-metrics';
import type { RunOutcomeStatus, StepStatus } from '../store/records/run-record';
import type { RunEvent } from './run-event';

/** One step execution as a result reports it (retries folded into `attempts`). */
export interface StepExecution {
  readonly name: string;
  readonly type: StepType;
  readonly status: Exclude<StepStatus, 'retried' | 'waiting'>;
  readonly iteration: number;
  readonly attempts: number;
  readonly durationMs: number;
  readonly error: string | null;
  readonly errorCategory: ErrorCategory | null;
  readonly quality: QualityMetrics | null;
  readonly idempotencyKey: string;
  /** Why a skipped step was skipped. */
  readonly reason?: string;
}

/** What `runner.execute` returns. */
export interface WorkflowResult {
  /**
   * How the run ended. 'queued', 'running' or 'waiting' only for a run that has not ended: one
   * returned by an idempotent start (`idempotencyKey`) still in progress elsewhere, one handed
   * off at shutdown ('running'), or a worker's run parked in a wait or a distributed map ('waiting').
   */
  readonly status: RunOutcomeStatus | 'queued' | 'running' | 'waiting';
  /** True when an earlier run with the same idempotency key was returned instead of starting one. */
  readonly deduplicated: boolean;
  readonly runId: string;
  readonly workflowName: string;
  /** The final context: every output and every param update. */
  readonly context: WorkflowContext;
  /** Names of completed step executions in execution order (a step in a loop appears once per pass). */
  readonly completedSteps: readonly string[];
  readonly failedSteps: readonly string[];
  readonly skippedSteps: readonly string[];
  /** Steps in the definition. */
  readonly totalSteps: number;
  /** Step executions in this run, skips excluded. */
  readonly executedSteps: number;
  readonly errorStep: string | null;
  readonly error: string | null;
  readonly errorCategory: ErrorCategory | null;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly durationMs: number;
  /** Per-step metrics in execution order. */
  readonly steps: readonly StepExecution[];
  readonly events: readonly RunEvent[];
  readonly dryRun: boolean;
}
