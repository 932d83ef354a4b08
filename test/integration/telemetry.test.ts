import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader, type HistogramMetricData, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ErrorCategory, ErrorPolicy, Spine, Step, StepResult, Workflow } from 'spine-orchestration';
import { OtelRunTelemetry } from '../../src/telemetry/otel-telemetry';
import { testDrivers, useTestDatabase, type TestDatabase } from '../support/databases';
import { newRun } from '../fixtures/records';

/** Collects on demand (the SDK's readers push on a timer). */
class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe('OpenTelemetry without an SDK', () => {
  it('does nothing when the application registers no tracer or meter provider', () => {
    expect(new OtelRunTelemetry().startRun({ workflow: 'w', runId: 'r', parentRunId: null, trigger: null, partitionKey: null, queue: null, resumed: false, traceparent: null })).toBeNull();
    expect(new OtelRunTelemetry().activeTrace()).toBeNull();
  });
});

describe.each(testDrivers())('OpenTelemetry traces and metrics (%s)', (driver) => {
  const database = useTestDatabase(driver);
  const exporter = new InMemorySpanExporter();
  const reader = new TestReader();
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  const named = (name: string, runId?: string): ReadableSpan[] => spans().filter((s) => s.name === name && (runId === undefined || s.attributes['spine.run_id'] === runId));
  const metric = async (name: string): Promise<SumMetricData | HistogramMetricData | undefined> => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name) as SumMetricData | HistogramMetricData | undefined;
  };
  const sumOf = async (name: string, match: Record<string, unknown>): Promise<number> =>
    ((await metric(name)) as SumMetricData | undefined)?.dataPoints.filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v)).reduce((n, p) => n + p.value, 0) ?? 0;
  let db: TestDatabase;
  let spine: Spine;
  let fetches = 0;
  let loads = 0;
  const item = Workflow.define({
    name: 'otel.item',
    steps: [Step.lambda('square', (ctx) => (ctx.getParam<number>('item') === 3 ? StepResult.fail('bad item', { category: ErrorCategory.VALIDATION }) : { sq: ctx.getParam<number>('item') ** 2 }))],
  });
  const weekly = Workflow.define({
    name: 'otel.weekly',
    steps: [
      Step.lambda('fetch', () => (++fetches === 1 ? StepResult.fail('flaky', { category: ErrorCategory.NETWORK }) : StepResult.ok({ rows: 3 }, { quality: { recordCount: 3, validCount: 3 } })), {
        onError: ErrorPolicy.RETRY,
      }),
      Step.map('fan', { items: [1, 2, 3], iterator: item, onItemError: 'partial' }),
      Step.lambda('load', () => (++loads === 1 ? StepResult.fail('warehouse locked', { category: ErrorCategory.DEPENDENCY }) : { loaded: true }), { retry: { maxAttempts: 1 } }),
    ],
  });

  beforeAll(async () => {
    db = database();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    spine = await Spine.create({
      database: db.dataSource,
      workflows: [weekly, item],
      defaultRetry: { initialDelayMs: 1, jitter: false },
      recoverOnStart: false,
      worker: { concurrency: 2, pollIntervalMs: 20 },
      strandedAfterMs: 0,
      logger: { warn: () => undefined },
    });
  });
  afterAll(async () => {
    await spine?.close();
    trace.disable();
    context.disable();
    metrics.disable();
  });

  it("traces a run inside the caller's span: run span, a span per step attempt with its outcome and quality, map items as child runs; the run's trace id is the caller's, and a resume continues it", async () => {
    exporter.reset();
    const tracer = trace.getTracer('the-app');
    const { result, request } = await tracer.startActiveSpan('POST /refresh', async (span) => {
      const outcome = await spine.run('otel.weekly');
      span.end();
      return { result: outcome, request: span.spanContext() };
    });
    expect(result.status).toBe('failed');
    // the run's trace id is the request's; its run span a child of the request span
    const stored = (await spine.getRun(result.runId))!;
    expect(stored.traceId).toBe(request.traceId);
    const [run] = named('workflow.run', result.runId);
    expect(run!.spanContext().traceId).toBe(request.traceId);
    expect(parentOf(run!)).toBe(request.spanId);
    expect(run!.attributes).toMatchObject({
      'spine.workflow': 'otel.weekly',
      'spine.run_id': result.runId,
      'spine.status': 'failed',
      'spine.error_category': 'DEPENDENCY',
      'spine.trigger': 'api',
      'spine.resumed': false,
    });
    // a span per attempt, children of the run span
    const steps = spans().filter((s) => s.name.startsWith('step ') && parentOf(s) === run!.spanContext().spanId);
    expect(steps.map((s) => [s.name, s.attributes['spine.step.attempt'], s.attributes['spine.status']])).toEqual([
      ['step fetch', 1, 'retried'],
      ['step fetch', 2, 'completed'],
      ['step fan', 1, 'completed'],
      ['step load', 1, 'failed'],
    ]);
    expect(steps[0]!.attributes['spine.error_category']).toBe('NETWORK');
    expect(steps[1]!.attributes).toMatchObject({ 'spine.step.type': 'lambda', 'spine.quality.records': 3, 'spine.quality.valid': 3, 'spine.quality.passed': true });
    // map items: a run span each, child of the map step's attempt, with its own step span
    const fan = steps[2]!;
    const items = named('workflow.run').filter((s) => parentOf(s) === fan.spanContext().spanId);
    expect(items.map((s) => [s.attributes['spine.workflow'], s.attributes['spine.status']]).sort()).toEqual([
      ['otel.item', 'completed'],
      ['otel.item', 'completed'],
      ['otel.item', 'failed'],
    ]);
    for (const itemSpan of items)
      expect(
        spans()
          .filter((s) => parentOf(s) === itemSpan.spanContext().spanId)
          .map((s) => s.name),
      ).toEqual(['step square']);

    // the resume continues the same trace: its run span's parent is the first execution's run span (the traceparent kept on the run)
    expect(stored.traceparent).toBe(`00-${request.traceId}-${run!.spanContext().spanId}-01`);
    const resumed = await spine.resume(result.runId);
    expect(resumed.status).toBe('partial');
    const again = named('workflow.run', result.runId).find((s) => s.attributes['spine.resumed'] === true)!;
    expect(again.spanContext().traceId).toBe(request.traceId);
    expect(parentOf(again)).toBe(run!.spanContext().spanId);
    expect(again.attributes['spine.status']).toBe('partial');
  });

  it('continues the enqueuing span in the worker that runs the run', async () => {
    exporter.reset();
    loads = 1; // load succeeds now
    const tracer = trace.getTracer('the-app');
    const { runId, request } = await tracer.startActiveSpan('POST /enqueue', async (span) => {
      const queued = await spine.enqueue('otel.weekly');
      span.end();
      return { runId: queued.runId, request: span.spanContext() };
    });
    expect((await spine.getRun(runId))?.traceparent).toBe(`00-${request.traceId}-${request.spanId}-01`);
    expect((await spine.waitForResult(runId, { timeoutMs: 20_000 })).status).toBe('partial');
    const [run] = named('workflow.run', runId);
    expect(run!.spanContext().traceId).toBe(request.traceId);
    expect(parentOf(run!)).toBe(request.spanId);
  });

  it('counts runs by workflow and status, step durations, retries, quality checks, map items, claim latency and queue depth', async () => {
    expect(await sumOf('spine.runs.started', { 'spine.workflow': 'otel.weekly' })).toBeGreaterThanOrEqual(3);
    expect(await sumOf('spine.runs.finished', { 'spine.workflow': 'otel.weekly', 'spine.status': 'failed' })).toBe(1);
    expect(await sumOf('spine.runs.finished', { 'spine.workflow': 'otel.weekly', 'spine.status': 'partial' })).toBe(2);
    expect(await sumOf('spine.step.retries', { 'spine.step': 'fetch', 'spine.error_category': 'NETWORK' })).toBe(1);
    expect(await sumOf('spine.quality.checks', { 'spine.step': 'fetch', 'spine.quality': 'pass' })).toBeGreaterThanOrEqual(2);
    expect(await sumOf('spine.map.items', { 'spine.workflow': 'otel.item', 'spine.status': 'failed' })).toBe(2);
    const durations = (await metric('spine.step.duration')) as HistogramMetricData;
    const load = durations.dataPoints.filter((p) => p.attributes['spine.step'] === 'load');
    expect(load.reduce((n, p) => n + p.value.count, 0)).toBe(3);
    expect(durations.descriptor.unit).toBe('ms');
    // the worker's claims and its queues' depth
    const latency = (await metric('spine.queue.claim_latency')) as HistogramMetricData;
    expect(latency.dataPoints.filter((p) => p.attributes['spine.queue'] === 'default').reduce((n, p) => n + p.value.count, 0)).toBeGreaterThanOrEqual(1);
    // a run waiting for its not-before time: the queue's depth as the worker reports it at collection
    const later = await spine.enqueue('otel.weekly', { notBefore: new Date(Date.now() + 3_600_000) });
    const depth = (await metric('spine.queue.depth')) as unknown as { dataPoints: { attributes: Record<string, unknown>; value: number }[] };
    const ofDefault = depth.dataPoints.filter((p) => p.attributes['spine.queue'] === 'default');
    expect(Object.fromEntries(ofDefault.map((p) => [p.attributes['spine.state'], p.value]))).toEqual({ queued: 1, running: 0, waiting: 0 });
    await spine.cancel(later.runId);
    // a run of a definition no live process holds (a version this build dropped): the stranded gauge counts it
    const now = new Date();
    const orphan = `otel-stranded-${driver}-${Date.now()}`;
    const enqueue = { queue: 'otel-elsewhere', priority: 0, concurrencyKey: null, notBefore: now };
    await spine.store.queue!.enqueueRuns([newRun({ runId: orphan, workflowName: 'otel.weekly', workflowVersion: 7, workflowHash: 'e'.repeat(64), startedAt: now, enqueue })], null);
    const stranded = (await metric('spine.runs.stranded')) as unknown as { dataPoints: { attributes: Record<string, unknown>; value: number }[] };
    expect(stranded.dataPoints.filter((p) => p.attributes['spine.workflow'] === 'otel.weekly').map((p) => p.value)).toEqual([1]);
    await spine.cancel(orphan);
  });
});
