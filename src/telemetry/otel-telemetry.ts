import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  context,
  createNoopMeter,
  isSpanContextValid,
  metrics,
  ProxyTracerProvider,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type BatchObservableResult,
  type ObservableResult,
  type Context,
  type Counter,
  type Histogram,
  type Meter,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { QueueStats } from '../core/store/records/queue-record';
import type { AttemptTrace, AttemptTraceInfo, AttemptTraceOutcome, RunTelemetry, RunTrace, RunTraceInfo, RunTraceOutcome } from '../core/runner/run-telemetry';

/** The package's version (the instrumentation scope's). */
function packageVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** The instrumentation scope spine's spans and metrics carry. */
export const INSTRUMENTATION_NAME = 'spine-orchestration';

const NOOP_METER = createNoopMeter().constructor;

/** A W3C traceparent (`00-<trace id>-<span id>-<flags>`) as a remote parent context; null when malformed. */
export function contextFromTraceparent(traceparent: string, base: Context = context.active()): Context | null {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent);
  if (match === null) return null;
  const spanContext = { traceId: match[1]!, spanId: match[2]!, traceFlags: Number.parseInt(match[3]!, 16) & TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(spanContext) ? trace.setSpanContext(base, spanContext) : null;
}

/** The W3C traceparent of a span. */
export function traceparentOf(span: Span): string | null {
  const c = span.spanContext();
  if (!isSpanContextValid(c)) return null;
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & TraceFlags.SAMPLED ? 1 : 0).toString(16).padStart(2, '0')}`;
}

/** The span active now (an HTTP request's, say): its trace id and traceparent; null when none. */
export function activeTrace(): { readonly traceId: string; readonly traceparent: string } | null {
  const span = trace.getActiveSpan();
  if (span === undefined) return null;
  const traceparent = traceparentOf(span);
  return traceparent === null ? null : { traceId: span.spanContext().traceId, traceparent };
}

interface Instruments {
  readonly runsStarted: Counter;
  readonly runsFinished: Counter;
  readonly runDuration: Histogram;
  readonly stepDuration: Histogram;
  readonly retries: Counter;
  readonly quality: Counter;
  readonly mapItems: Counter;
  readonly claimLatency: Histogram;
}

function instrumentsOf(meter: Meter): Instruments {
  return {
    runsStarted: meter.createCounter('spine.runs.started', { description: 'Executions of runs begun (a start, a resume, a worker claim)' }),
    runsFinished: meter.createCounter('spine.runs.finished', { description: 'Executions of runs ended, by status' }),
    runDuration: meter.createHistogram('spine.run.duration', { description: 'Duration of an execution of a run', unit: 'ms' }),
    stepDuration: meter.createHistogram('spine.step.duration', { description: 'Duration of a step attempt', unit: 'ms' }),
    retries: meter.createCounter('spine.step.retries', { description: 'Step attempts that failed and were tried again' }),
    quality: meter.createCounter('spine.quality.checks', { description: 'Steps that reported quality metrics, by result (pass/fail)' }),
    mapItems: meter.createCounter('spine.map.items', { description: 'Map items ended, by status' }),
    claimLatency: meter.createHistogram('spine.queue.claim_latency', { description: 'Time a run waited in its queue before a worker claimed it', unit: 'ms' }),
  };
}

/**
 * The `RunTelemetry` port on OpenTelemetry's API: a `workflow.run` span per execution of a run
 * (a map item's is a child of its map step's attempt span) with a `step <name>` span per attempt,
 * and metrics. Only the API is used: with no tracer or meter provider registered by the
 * application, `startRun` answers null and nothing is done per step.
 */
export class OtelRunTelemetry implements RunTelemetry {
  private meter: Meter | null = null;
  private instruments: Instruments | null = null;

  constructor(private readonly version: string | undefined = packageVersion()) {}

  private tracer(): Tracer | null {
    const provider = trace.getTracerProvider();
    // the global provider is a proxy until the application registers one
    if (provider instanceof ProxyTracerProvider && provider.getDelegateTracer(INSTRUMENTATION_NAME, this.version) === undefined) return null;
    return provider.getTracer(INSTRUMENTATION_NAME, this.version);
  }

  private metricsOn(): Instruments | null {
    const meter = metrics.getMeter(INSTRUMENTATION_NAME, this.version);
    if (meter.constructor === NOOP_METER) return null;
    if (meter !== this.meter) {
      this.meter = meter;
      this.instruments = instrumentsOf(meter);
    }
    return this.instruments;
  }

  activeTrace(): { readonly traceId: string; readonly traceparent: string } | null {
    return activeTrace();
  }

  claimed(queue: string, waitedMs: readonly number[]): void {
    const instruments = this.metricsOn();
    if (instruments === null) return;
    for (const ms of waitedMs) instruments.claimLatency.record(Math.max(0, ms), { 'spine.queue': queue });
  }

  observeQueues(read: () => Promise<readonly QueueStats[]>): () => void {
    const meter = metrics.getMeter(INSTRUMENTATION_NAME, this.version);
    if (meter.constructor === NOOP_METER) return () => undefined;
    const depth = meter.createObservableGauge('spine.queue.depth', { description: 'Runs of a queue by state: queued (due or not), running, waiting' });
    const oldest = meter.createObservableGauge('spine.queue.oldest_age', { description: 'Age of the oldest queued run of a queue', unit: 'ms' });
    const batch = async (observer: BatchObservableResult): Promise<void> => {
      const now = Date.now();
      for (const stats of await read()) {
        for (const state of ['queued', 'running', 'waiting'] as const) observer.observe(depth, stats[state], { 'spine.queue': stats.queue, 'spine.state': state });
        if (stats.oldestQueuedAt !== null) observer.observe(oldest, now - stats.oldestQueuedAt.getTime(), { 'spine.queue': stats.queue });
      }
    };
    meter.addBatchObservableCallback(batch, [depth, oldest]);
    return () => meter.removeBatchObservableCallback(batch, [depth, oldest]);
  }

  observeStranded(read: () => Promise<ReadonlyMap<string, number>>): () => void {
    const meter = metrics.getMeter(INSTRUMENTATION_NAME, this.version);
    if (meter.constructor === NOOP_METER) return () => undefined;
    const stranded = meter.createObservableGauge('spine.runs.stranded', { description: 'Runs whose definition no live process holds (see spine.strandedRuns), by workflow' });
    const callback = async (observer: ObservableResult): Promise<void> => {
      for (const [workflow, count] of await read()) observer.observe(count, { 'spine.workflow': workflow });
    };
    stranded.addCallback(callback);
    return () => stranded.removeCallback(callback);
  }

  startRun(info: RunTraceInfo): RunTrace | null {
    const tracer = this.tracer();
    const instruments = this.metricsOn();
    if (tracer === null && instruments === null) return null;
    const attributes: Attributes = {
      'spine.workflow': info.workflow,
      'spine.run_id': info.runId,
      'spine.resumed': info.resumed,
      ...(info.trigger !== null && { 'spine.trigger': info.trigger }),
      ...(info.partitionKey !== null && { 'spine.partition': info.partitionKey }),
      ...(info.queue !== null && { 'spine.queue': info.queue }),
      ...(info.parentRunId !== null && { 'spine.parent_run_id': info.parentRunId }),
    };
    const parent = (info.traceparent === null ? null : contextFromTraceparent(info.traceparent)) ?? context.active();
    const span = tracer?.startSpan('workflow.run', { kind: SpanKind.INTERNAL, attributes }, parent) ?? null;
    const metricAttributes: Attributes = { 'spine.workflow': info.workflow, ...(info.trigger !== null && { 'spine.trigger': info.trigger }) };
    instruments?.runsStarted.add(1, { ...metricAttributes, 'spine.resumed': info.resumed });
    return new OtelRunTrace(tracer, span, parent, instruments, info, metricAttributes);
  }
}

class OtelRunTrace implements RunTrace {
  readonly traceparent: string | null;
  readonly traceId: string | null;
  private readonly spanContext: Context;

  constructor(
    private readonly tracer: Tracer | null,
    private readonly span: Span | null,
    parent: Context,
    private readonly instruments: Instruments | null,
    private readonly info: RunTraceInfo,
    private readonly metricAttributes: Attributes,
  ) {
    this.traceparent = span === null ? null : traceparentOf(span);
    this.traceId = span === null ? null : span.spanContext().traceId;
    this.spanContext = span === null ? parent : trace.setSpan(parent, span);
  }

  startAttempt(info: AttemptTraceInfo): AttemptTrace {
    const span =
      this.span === null || this.tracer === null
        ? null
        : this.tracer.startSpan(
            `step ${info.step}`,
            { kind: SpanKind.INTERNAL, attributes: { 'spine.step': info.step, 'spine.step.type': info.type, 'spine.step.attempt': info.attempt, 'spine.step.iteration': info.iteration } },
            this.spanContext,
          );
    const scope = span === null ? this.spanContext : trace.setSpan(this.spanContext, span);
    const instruments = this.instruments;
    const workflow = this.info.workflow;
    return {
      run: <T>(fn: () => T): T => context.with(scope, fn),
      end: (outcome: AttemptTraceOutcome): void => {
        const attributes: Attributes = { 'spine.workflow': workflow, 'spine.step': info.step, 'spine.step.type': info.type, 'spine.status': outcome.status };
        instruments?.stepDuration.record(outcome.durationMs, attributes);
        if (outcome.status === 'retried')
          instruments?.retries.add(1, { 'spine.workflow': workflow, 'spine.step': info.step, ...(outcome.errorCategory && { 'spine.error_category': outcome.errorCategory }) });
        const quality = outcome.quality ?? null;
        if (quality !== null)
          instruments?.quality.add(1, { 'spine.workflow': workflow, 'spine.step': info.step, 'spine.quality': quality.passed && outcome.errorCategory !== 'DATA_QUALITY' ? 'pass' : 'fail' });
        if (span === null) return;
        span.setAttribute('spine.status', outcome.status);
        if (quality !== null) {
          span.setAttributes({
            'spine.quality.records': quality.recordCount,
            'spine.quality.valid': quality.validCount,
            'spine.quality.invalid': quality.invalidCount,
            'spine.quality.null_rate': quality.nullRate,
            'spine.quality.passed': quality.passed,
          });
        }
        if (outcome.errorCategory) span.setAttribute('spine.error_category', outcome.errorCategory);
        if (outcome.status === 'failed' || outcome.status === 'retried') span.setStatus({ code: SpanStatusCode.ERROR, ...(outcome.error && { message: outcome.error }) });
        span.end();
      },
    };
  }

  end(outcome: RunTraceOutcome): void {
    const attributes = { ...this.metricAttributes, 'spine.status': outcome.status };
    this.instruments?.runsFinished.add(1, attributes);
    this.instruments?.runDuration.record(outcome.durationMs, attributes);
    if (this.info.parentRunId !== null) this.instruments?.mapItems.add(1, { 'spine.workflow': this.info.workflow, 'spine.status': outcome.status });
    const span = this.span;
    if (span === null) return;
    span.setAttribute('spine.status', outcome.status);
    if (outcome.errorCategory) span.setAttribute('spine.error_category', outcome.errorCategory);
    if (outcome.status === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, ...(outcome.error && { message: outcome.error }) });
    span.end();
  }
}
