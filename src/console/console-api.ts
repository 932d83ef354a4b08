import { errorClassOf } from '../core/errors/error-class';
import { SpineError } from '../core/errors/spine-error';
import { SpineValidationError } from '../core/errors/spine-validation.error';
import { workflowGraph, type WorkflowGraph } from '../core/definition/workflow.graph';
import type { StrandedRun } from '../core/runner/stranded-runs';
import { isLiveWorker } from '../core/store/records/queue-record';
import type { WorkflowDefinition } from '../core/definition/workflow-definition';
import { RUN_STATUSES, type RunFilter, type RunRecord, type RunStatus, type StepRecord } from '../core/store/records/run-record';
import { TRIGGER_SOURCES, type TriggerSource } from '../core/schedule/trigger';
import type { Spine } from '../spine/spine';
import { ApiError, objectBody } from './console-api.error';
import { approvalSignal } from '../core/runner/signal-wait';
import { ConsoleActions } from './console-actions';

/** What an API route answers: an HTTP status and a JSON body. */
export interface ApiReply {
  readonly status: number;
  readonly body: unknown;
}

/** A request the API is asked to answer (the path is relative to `/api`). */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

const PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;
/** Outputs, params and payloads longer than this (JSON) are cut for the page; the CLI's `spine show --json` has them whole. */
const MAX_VALUE_CHARS = 32_768;
const MAX_CHILDREN = 1_000;
const MAX_EVENTS = 500;
const MAX_QUALITY_POINTS = 500;
const DAY_MS = 86_400_000;
/** A worker that reported within this long counts as serving its queues. */
const RESUMABLE: readonly RunStatus[] = ['failed', 'stopped'];
/** How old a stranded-runs answer the pages may show (the query reads every unfinished run; the runs page polls). */
const STRANDED_MAX_AGE_MS = 10_000;
const SETTLED: readonly RunStatus[] = ['completed', 'partial', 'failed', 'stopped', 'cancelled'];

/** A value as the page shows it: itself, or its JSON's start when it is too long. */
export function clipped(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  const json = JSON.stringify(value);
  if (json === undefined || json.length <= MAX_VALUE_CHARS) return value;
  return { truncated: true, chars: json.length, preview: json.slice(0, MAX_VALUE_CHARS) };
}

/** A run as listings show it (no params, no outputs). */
/** How many runs are stranded, per workflow and version (the runs page's banner). */
function strandedSummary(stranded: readonly StrandedRun[]): { readonly count: number; readonly versions: readonly { workflow: string; version: number; count: number }[] } {
  const byVersion = new Map<string, { workflow: string; version: number; count: number }>();
  for (const run of stranded) {
    const key = `${run.workflowName}\u0000${run.version}`;
    const entry = byVersion.get(key) ?? { workflow: run.workflowName, version: run.version, count: 0 };
    entry.count++;
    byVersion.set(key, entry);
  }
  return { count: stranded.length, versions: [...byVersion.values()] };
}

function runSummary(run: RunRecord): Record<string, unknown> {
  return {
    runId: run.runId,
    workflow: run.workflowName,
    version: run.workflowVersion,
    hash: run.workflowHash.slice(0, 12),
    appVersion: run.appVersion,
    status: run.status,
    trigger: run.triggerSource,
    schedule: run.triggerSchedule,
    partition: run.partition,
    queue: run.queue,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.durationMs,
    totalSteps: run.totalSteps,
    executedSteps: run.executedSteps,
    completedSteps: run.completedSteps,
    failedSteps: run.failedSteps,
    skippedSteps: run.skippedSteps,
    errorStep: run.errorStep,
    error: run.error,
    errorCategory: run.errorCategory,
    cancelRequested: run.cancelRequested,
    parentRunId: run.parentRunId,
    paramsText: paramsText(run.params),
  };
}

/** What a waiting run waits for, from its latest waiting step row: an approval of a gate, a signal, or a timer (null when it does not wait). */
function waitingOn(run: RunRecord, steps: readonly StepRecord[]): Record<string, unknown> | null {
  if (run.status !== 'waiting' && run.status !== 'running') return null;
  const last = steps[steps.length - 1];
  if (last === undefined || last.status !== 'waiting') return null;
  const signal = typeof last.output?.signal === 'string' ? last.output.signal : null;
  if (signal === approvalSignal(last.stepName)) return { kind: 'approval', step: last.stepName, signal };
  if (signal !== null) return { kind: 'signal', step: last.stepName, signal, until: last.output?.wakeAt ?? null };
  return { kind: 'timer', step: last.stepName, until: last.output?.wakeAt ?? null };
}

/** Params as a short `key=value, …` line for listings. */
function paramsText(params: Readonly<Record<string, unknown>>): string {
  const text = Object.entries(params)
    .filter(([, v]) => v !== '' && v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

function stepView(step: StepRecord): Record<string, unknown> {
  return { ...step, output: clipped(step.output), contextUpdates: clipped(step.contextUpdates) };
}

function oneOf<T extends string>(name: string, value: string | null, allowed: readonly T[]): T | undefined {
  if (value === null || value === '') return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new ApiError(400, `${name} must be one of ${allowed.join(', ')} (got "${value}").`);
  return value as T;
}

function dateParam(name: string, value: string | null): Date | undefined {
  if (value === null || value === '') return undefined;
  const at = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(at.getTime())) throw new ApiError(400, `${name} must be a date (2026-10-23) or an ISO time (got "${value}").`);
  return at;
}

function intParam(name: string, value: string | null, fallback: number, max: number): number {
  if (value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ApiError(400, `${name} must be a whole number from 1 to ${max} (got "${value}").`);
  return n;
}

/**
 * The console's JSON API (`/api/…`): what the pages read and users may script. Reads go through
 * the run store's indexed queries (paging by keyset); actions (resume, cancel) go through Spine,
 * with the same checks as the CLI.
 */
export class ConsoleApi {
  /** Resumes started from the console, still running in this process (by run id). */
  private readonly resuming = new Map<string, Promise<unknown>>();

  constructor(
    private readonly spine: Spine,
    private readonly options: { readonly readOnly: boolean },
  ) {
    this.actions = new ConsoleActions(spine);
  }

  /** Signals, approvals, new runs and schedule actions. */
  private readonly actions: ConsoleActions;

  async handle(request: ApiRequest): Promise<ApiReply> {
    try {
      return await this.route(request);
    } catch (error) {
      if (error instanceof ApiError) return { status: error.status, body: { error: error.message } };
      if (error instanceof SpineValidationError) return { status: 400, body: { error: error.message, kind: error.kind, violations: error.violations } };
      // one classification for every front end; a 500 is answered without its details (the handler logs them)
      if (error instanceof SpineError && errorClassOf(error.kind).httpStatus !== 500) return { status: errorClassOf(error.kind).httpStatus, body: { error: error.message, kind: error.kind } };
      throw error;
    }
  }

  private async route({ method, path, query, body }: ApiRequest): Promise<ApiReply> {
    const parts = path
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    const [head, id, action] = parts;
    if (method === 'GET') {
      if (head === 'runs' && id === undefined) return this.ok(await this.listRuns(query));
      if (head === 'runs' && id !== undefined && action === undefined) return this.ok(await this.runDetail(id));
      if (head === 'workflows' && id === undefined) return this.ok(await this.listWorkflows(query));
      if (head === 'workflows' && id !== undefined && action === undefined) return this.ok(await this.workflowDetail(id));
      if (head === 'quality' && id === undefined) return this.ok(await this.quality(query));
      if (head === 'queues' && id === undefined) return this.ok(await this.queues());
      if (head === 'session' && id === undefined) {
        return this.ok({
          readOnly: this.options.readOnly,
          statuses: RUN_STATUSES,
          triggers: TRIGGER_SOURCES,
          workflows: this.spine
            .workflows()
            .map((w) => w.name)
            .sort(),
        });
      }
    } else if (method === 'POST' && id !== undefined && parts.length === 3) {
      if (this.options.readOnly) throw new ApiError(403, 'This console is read-only (readOnly: true); act with the CLI instead (spine resume, cancel, signal, approve, run, schedules).');
      if (head === 'runs' && action === 'resume') return { status: 202, body: await this.resume(id, objectBody(body)) };
      if (head === 'runs' && action === 'cancel') return this.ok(await this.cancel(id));
      const acted = await this.actions.route(head, id, action, body);
      if (acted !== null) return acted;
    }
    throw new ApiError(404, `No API route ${method} /api/${parts.join('/')}. See README, "The console", for the routes.`);
  }

  private ok(body: unknown): ApiReply {
    return { status: 200, body };
  }

  private async listRuns(query: URLSearchParams): Promise<unknown> {
    const limit = intParam('limit', query.get('limit'), PAGE_SIZE, MAX_PAGE_SIZE);
    const statuses = query
      .getAll('status')
      .flatMap((s) => s.split(','))
      .filter((s) => s !== '');
    for (const status of statuses) oneOf('status', status, RUN_STATUSES);
    const beforeId = query.get('before');
    let before: RunFilter['before'];
    if (beforeId !== null && beforeId !== '') {
      const cursor = await this.spine.getRun(beforeId);
      if (cursor === null) throw new ApiError(400, `before: run "${beforeId}" is not in the store (it may have been purged); start from the newest page.`);
      before = { startedAt: cursor.startedAt, runId: cursor.runId };
    }
    const text = (name: string): string | undefined => (query.get(name) ?? '').trim() || undefined;
    const trigger = oneOf<TriggerSource>('trigger', query.get('trigger'), TRIGGER_SOURCES);
    const since = dateParam('since', query.get('since'));
    const until = dateParam('until', query.get('until'));
    const workflow = text('workflow');
    const partition = text('partition');
    const parent = text('parent');
    const filter: RunFilter = {
      limit: limit + 1,
      ...(workflow !== undefined && { workflow }),
      ...(statuses.length > 0 && { status: statuses as RunStatus[] }),
      ...(trigger !== undefined && { trigger }),
      ...(partition !== undefined && { partition }),
      ...(since !== undefined && { since }),
      // a date alone means that whole day
      ...(until !== undefined && { until: /^\d{4}-\d{2}-\d{2}$/.test(query.get('until') ?? '') ? new Date(until.getTime() + DAY_MS) : until }),
      ...(parent !== undefined && { parentRunId: parent }),
      ...(before !== undefined && { before }),
    };
    const [runs, stranded] = await Promise.all([this.spine.listRuns(filter), this.spine.strandedRuns({ maxAgeMs: STRANDED_MAX_AGE_MS })]);
    const page = runs.slice(0, limit);
    return { runs: page.map(runSummary), next: runs.length > limit ? page[page.length - 1]!.runId : null, stranded: strandedSummary(stranded) };
  }

  private definitionOf(name: string): WorkflowDefinition | null {
    return this.spine.workflows().find((w) => w.name === name) ?? null;
  }

  private graphOf(definition: WorkflowDefinition | null): WorkflowGraph | null {
    if (definition === null) return null;
    const all = new Map(this.spine.workflows().map((w) => [w.name, w]));
    return workflowGraph(definition, { get: (name: string) => all.get(name) });
  }

  private async runDetail(runId: string): Promise<unknown> {
    const run = await this.spine.getRun(runId);
    if (run === null) throw new ApiError(404, `Run "${runId}" is not in the store; check the id (the runs page lists recent runs).`);
    const [steps, mapItems, children, events, stranded] = await Promise.all([
      this.spine.getRunSteps(runId),
      this.spine.listMapItems(runId),
      this.spine.listRuns({ parentRunId: runId, limit: MAX_CHILDREN }),
      this.spine.listRunEvents(runId, MAX_EVENTS),
      this.spine.strandedRuns({ maxAgeMs: STRANDED_MAX_AGE_MS }),
    ]);
    // the definition the run is pinned to, when this process holds it; else the newest, to draw
    const definition = this.spine.runner.definitions.forRun(run)?.definition ?? this.definitionOf(run.workflowName);
    const strandedHere = stranded.find((s) => s.runId === runId) ?? null;
    const queue = run.queue === null ? null : { name: run.queue, workers: await this.liveWorkers(run.queue) };
    const leaseLapsed = run.status === 'running' && run.queue === null && (run.leaseExpiresAt === null || run.leaseExpiresAt.getTime() < this.spine.clock.now());
    const canResume = !this.options.readOnly && definition !== null && !this.resuming.has(runId) && (RESUMABLE.includes(run.status) || leaseLapsed);
    return {
      run: {
        ...runSummary(run),
        params: clipped(run.params),
        traceId: run.traceId,
        batchId: run.batchId,
        leaseOwner: run.leaseOwner,
        leaseExpiresAt: run.leaseExpiresAt,
        lastCompletedStep: run.lastCompletedStep,
        rootRunId: run.rootRunId,
      },
      steps: steps.map(stepView),
      mapItems: mapItems.map((item) => ({ ...item, output: clipped(item.output) })),
      children: children.map(runSummary).sort((a, b) => String(a.runId).localeCompare(String(b.runId), 'en', { numeric: true })),
      childrenCapped: children.length === MAX_CHILDREN,
      events: events.map((e) => ({ ...e, payload: clipped(e.payload) })),
      waiting: waitingOn(run, steps),
      wallMs: (run.finishedAt?.getTime() ?? this.spine.clock.now()) - (run.createdAt ?? run.startedAt).getTime(),
      workflowKnown: definition !== null,
      stepNames: definition?.steps.map((s) => s.name) ?? [],
      graph: this.graphOf(definition),
      queue,
      stranded:
        strandedHere === null
          ? null
          : {
              since: strandedHere.since,
              reason: strandedHere.reason,
              fix: [`spine migrate-runs ${run.workflowName} --from ${run.workflowVersion} --dry-run`, 'spine runs --stranded'],
            },
      actions: {
        resume: canResume,
        // a run on a queue goes back on it by default (a worker resumes it); "here" runs it in this console's process
        resumeVia: !canResume ? [] : run.queue !== null && RESUMABLE.includes(run.status) ? ['queue', 'here'] : ['here'],
        cancel: !this.options.readOnly && !SETTLED.includes(run.status) && !run.cancelRequested,
        // a run that waits: the buttons that end the wait (a decision, or the awaited signal)
        decide: !this.options.readOnly && waitingOn(run, steps)?.kind === 'approval',
        signal: !this.options.readOnly && !SETTLED.includes(run.status),
        resuming: this.resuming.has(runId),
      },
    };
  }

  /** Live workers serving `queue` (`isLiveWorker`). */
  private async liveWorkers(queue: string): Promise<number> {
    const now = this.spine.clock.now();
    return (await this.spine.listWorkers()).filter((w) => w.queues.includes(queue) && isLiveWorker(w, now)).length;
  }

  private async resume(runId: string, body: Record<string, unknown>): Promise<unknown> {
    const params = body.params;
    if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) {
      throw new ApiError(400, 'params must be a JSON object of the params to override, e.g. {"fail_week": ""}.');
    }
    const startFrom = body.startFrom;
    if (startFrom !== undefined && startFrom !== null && typeof startFrom !== 'string') throw new ApiError(400, 'startFrom must be a step name.');
    const via = body.via;
    if (via !== undefined && via !== 'queue' && via !== 'here') throw new ApiError(400, 'via must be "queue" (a worker resumes the run) or "here" (this console\'s process does).');
    if (this.resuming.has(runId)) throw new ApiError(409, `Run "${runId}" is already being resumed by this console.`);
    const run = await this.spine.getRun(runId);
    if (run !== null && SETTLED.includes(run.status) && !RESUMABLE.includes(run.status)) {
      throw new ApiError(409, `Run "${runId}" is ${run.status}; only a failed, stopped or interrupted run can be resumed.`);
    }
    const fromStep = typeof startFrom === 'string' && startFrom !== '';
    // by default a run that was enqueued goes back on its queue, unless a start step asks for a resume here
    const onQueue = via === 'queue' || (via === undefined && !fromStep && run !== null && run.queue !== null && RESUMABLE.includes(run.status));
    if (onQueue) {
      if (fromStep) {
        throw new ApiError(400, 'startFrom cannot go through the queue: a worker resumes the run where it stopped. Resume it here (via: "here") to start from another step.');
      }
      const queued = await this.spine.requeue(runId, params === undefined ? {} : { paramsOverride: params as Record<string, unknown>, by: 'console' });
      return { runId, resumed: 'queued', queue: queued.queue, workers: await this.liveWorkers(queued.queue!) };
    }
    const resumed = this.spine.resume(runId, {
      ...(params !== undefined && { paramsOverride: params as Record<string, unknown>, by: 'console' }),
      ...(fromStep && { startFrom: startFrom as string }),
    });
    const tracked = resumed.finally(() => this.resuming.delete(runId));
    // how it ends is the run's page's to show; a failure after the answer is not this request's
    tracked.catch(() => undefined);
    this.resuming.set(runId, tracked);
    // the checks (status, lease, definition, params) answer at once; a run that got going is answered 202 and watched on its page
    const early = await Promise.race([resumed.then(() => 'finished' as const), new Promise<'going'>((resolve) => setTimeout(() => resolve('going'), 300).unref())]);
    return { runId, resumed: early === 'finished' ? 'finished' : 'started' };
  }

  private async cancel(runId: string): Promise<unknown> {
    const run = await this.spine.cancel(runId);
    return { run: runSummary(run) };
  }

  private async statsByWorkflow(days: number): Promise<Map<string, { total: number; byStatus: Record<string, number>; lastStartedAt: Date | null }>> {
    const counts = await this.spine.countRuns(new Date(this.spine.clock.now() - days * DAY_MS));
    const stats = new Map<string, { total: number; byStatus: Record<string, number>; lastStartedAt: Date | null }>();
    for (const c of counts) {
      const s = stats.get(c.workflow) ?? { total: 0, byStatus: {}, lastStartedAt: null };
      s.total += c.count;
      s.byStatus[c.status] = (s.byStatus[c.status] ?? 0) + c.count;
      if (s.lastStartedAt === null || c.lastStartedAt > s.lastStartedAt) s.lastStartedAt = c.lastStartedAt;
      stats.set(c.workflow, s);
    }
    return stats;
  }

  private async listWorkflows(query: URLSearchParams): Promise<unknown> {
    const days = intParam('days', query.get('days'), 30, 3650);
    const stats = await this.statsByWorkflow(days);
    const workflows = this.spine.workflows().map((w) => {
      const s = stats.get(w.name) ?? { total: 0, byStatus: {}, lastStartedAt: null };
      const settled = (s.byStatus.completed ?? 0) + (s.byStatus.partial ?? 0) + (s.byStatus.failed ?? 0);
      return {
        name: w.name,
        version: w.version,
        domain: w.domain,
        description: w.description,
        tags: w.tags,
        queue: w.queue,
        steps: w.steps.length,
        runs: s.total,
        byStatus: s.byStatus,
        successRate: settled === 0 ? null : ((s.byStatus.completed ?? 0) + (s.byStatus.partial ?? 0)) / settled,
        lastStartedAt: s.lastStartedAt,
      };
    });
    return { days, workflows };
  }

  private async workflowDetail(name: string): Promise<unknown> {
    const definition = this.definitionOf(name);
    if (definition === null) throw new ApiError(404, `Workflow "${name}" is not registered in this application (the workflows page lists those that are).`);
    const [recent, stats] = await Promise.all([this.spine.listRuns({ workflow: name, limit: 20 }), this.statsByWorkflow(30)]);
    return {
      name: definition.name,
      version: definition.version,
      domain: definition.domain,
      description: definition.description,
      tags: definition.tags,
      queue: definition.queue,
      defaults: clipped(definition.defaults),
      params: this.spine.paramsOf(name),
      timeoutMs: definition.timeoutMs,
      steps: definition.steps.map((s) => ({ name: s.name, type: s.type, description: s.description ?? null, quality: s.quality ?? null, qualityMode: s.qualityMode })),
      graph: this.graphOf(definition),
      recentRuns: recent.map(runSummary),
      stats: stats.get(name) ?? { total: 0, byStatus: {}, lastStartedAt: null },
      schedules: (await this.spine.listSchedules({ upcoming: 3 })).filter((s) => s.workflow === name),
    };
  }

  private async quality(query: URLSearchParams): Promise<unknown> {
    const days = intParam('days', query.get('days'), 30, 3650);
    const since = new Date(this.spine.clock.now() - days * DAY_MS);
    const workflow = (query.get('workflow') ?? '').trim();
    const steps = (await this.spine.listQualitySteps(since)).filter((s) => workflow === '' || s.workflow === workflow);
    const series = await Promise.all(
      steps.map(async (s) => {
        const points = await this.spine.qualityTrend(s.workflow, s.step, { since });
        const gate = this.definitionOf(s.workflow)?.steps.find((d) => d.name === s.step);
        return { ...s, thresholds: gate?.quality ?? null, qualityMode: gate?.qualityMode ?? null, points: points.slice(-MAX_QUALITY_POINTS) };
      }),
    );
    return { days, steps: series };
  }

  private async queues(): Promise<unknown> {
    const [queues, workers, schedules] = await Promise.all([this.spine.queueStats(), this.spine.listWorkers(), this.spine.listSchedules({ upcoming: 3 })]);
    return { queues, workers, schedules };
  }
}
