import type { QueueStats } from '../store/records/queue-record';
import type { ErrorCategory } from '../policy/error-category';
import type { QualityMetrics } from '../quality/quality-metrics';

/**
 * Where a run's traces and metrics go (the port; `src/telemetry` implements it on
 * OpenTelemetry's API). The runner asks for a trace per execution of a run — a start, a resume,
 * a claimed run, a map item — and reports each step attempt through it.
 */
export interface RunTelemetry {
  /** Begins a run's execution; null when it is not traced (nothing records it). */
  startRun(info: RunTraceInfo): RunTrace | null;
  /** The trace active now (the caller's span, an HTTP request's): its id and traceparent; null when none. */
  activeTrace(): { readonly traceId: string; readonly traceparent: string } | null;
  /** A worker claimed runs of a queue: how long each waited, from enqueue (or its not-before time) to the claim. */
  claimed(queue: string, waitedMs: readonly number[]): void;
  /** A worker reports the queues' depth whenever metrics are collected; returns the function that stops it. */
  observeQueues(read: () => Promise<readonly QueueStats[]>): () => void;
  /** Reports the stranded runs per workflow (`spine.runs.stranded`) whenever metrics are collected; returns the function that stops it. */
  observeStranded(read: () => Promise<ReadonlyMap<string, number>>): () => void;
}

/** A partition as a span attribute: `tier=OTC,week=2026-10-23` (keys sorted); null without one. */
export function partitionLabel(partition: Readonly<Record<string, string>> | null | undefined): string | null {
  if (partition == null) return null;
  return Object.keys(partition)
    .sort()
    .map((k) => `${k}=${partition[k]}`)
    .join(',');
}

/** What a run's execution is, for its span and metrics. */
export interface RunTraceInfo {
  readonly workflow: string;
  readonly runId: string;
  /** The map step's run, for a map item (its span is a child of the map step's attempt). */
  readonly parentRunId: string | null;
  readonly trigger: string | null;
  readonly partitionKey: string | null;
  readonly queue: string | null;
  /** A resume or a worker's claim of a run that ran before (not its first start). */
  readonly resumed: boolean;
  /** W3C traceparent kept on the run: the execution continues that trace (null: the context active now, if any). */
  readonly traceparent: string | null;
}

/** One execution's trace: its run span, and a span per step attempt. */
export interface RunTrace {
  /** The W3C traceparent of the run's span (kept on a new run, so its resumes continue the trace). */
  readonly traceparent: string | null;
  /** The trace id (32 hex digits). */
  readonly traceId: string | null;
  /** Begins a step attempt's span. */
  startAttempt(info: AttemptTraceInfo): AttemptTrace;
  /** Ends the run's span: how this execution ended. */
  end(outcome: RunTraceOutcome): void;
}

export interface AttemptTraceInfo {
  readonly step: string;
  readonly type: string;
  readonly attempt: number;
  readonly iteration: number;
}

/** One step attempt's span. */
export interface AttemptTrace {
  /** Runs the attempt inside the span (spans the step opens are its children). */
  run<T>(fn: () => T): T;
  /** Ends the span with the attempt's outcome. */
  end(outcome: AttemptTraceOutcome): void;
}

export interface AttemptTraceOutcome {
  /** 'completed', 'failed', 'retried' (failed, tried again), 'skipped', or 'yielded' (stopped, parked or handed off unrecorded). */
  readonly status: 'completed' | 'failed' | 'retried' | 'skipped' | 'yielded';
  readonly durationMs: number;
  readonly error?: string | null;
  readonly errorCategory?: ErrorCategory | null;
  readonly quality?: QualityMetrics | null;
}

export interface RunTraceOutcome {
  /** The run's status when this execution ended ('running' for a hand-off, 'waiting' for a park). */
  readonly status: string;
  readonly durationMs: number;
  readonly error?: string | null;
  readonly errorCategory?: ErrorCategory | null;
}
