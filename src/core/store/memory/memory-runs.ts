import { LeaseLostError, SpineError } from '../../errors/spine-error';
import { SystemClock, type Clock } from '../../clock/clock.port';
import type { MapItemRecord, RunCounters, RunRecord, StepRecord, StoredRunEvent, Fence } from '../records/run-record';
import type { CreateRunOutcome, LeaseHolder, NewRun } from '../records/store-writes';

export type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** A run as the in-memory store keeps it. */
export interface StoredRun {
  /** Updated in place on the hot path; callers get frozen copies. */
  readonly record: Writable<RunRecord>;
  readonly steps: StepRecord[];
  /** Insertion order: claims of equal priority and due time go oldest first. */
  readonly sequence: number;
  /** Context snapshots the checkpoint strategy kept, by `<step>\u0000<iteration>`. */
  snapshots?: Map<string, Readonly<Record<string, unknown>>>;
  /** The events kept for the run (not those its step rows tell), oldest first. */
  events?: StoredRunEvent[];
  /** Its maps' item rows, by step, iteration and index. */
  items?: Map<string, Map<number, Map<number, MapItemRecord>>>;
}

/** The expiry a released lease gets: long past, so recovery takes the run first. */
export const RELEASED_LEASE = new Date(1000);

/** Options of the in-memory store. */
export interface MemoryRunsOptions {
  /** At most this many runs (default 1,000): beyond it the runs that finished first are dropped (running runs never are). */
  readonly maxRuns?: number;
  /** At most this many step records and map item rows (default 100,000), the same way. */
  readonly maxStepRecords?: number;
  /** The time leases, queues and schedules are judged by (default the system clock; `Spine.create` gives its own). */
  readonly clock?: Clock;
}

/**
 * What every part of the in-memory store works on: the runs, the fence every write passes, and
 * the bound on memory. Every part's method runs without awaiting in between, so each is one
 * atomic step (as a transaction is).
 */
export class MemoryRuns {
  readonly runs = new Map<string, StoredRun>();
  /** When a live process last held each definition, by hash (`DefinitionStore.markHeld`). */
  readonly heldAt = new Map<string, Date>();
  readonly clock: Clock;
  stepRecords = 0;
  private readonly byIdempotencyKey = new Map<string, string>();
  private readonly finishedOrder: string[] = [];
  private finishedHead = 0;
  private sequence = 0;
  private eventSequence = 0;
  private readonly maxRuns: number;
  private readonly maxStepRecords: number;
  /** Told when a run is dropped (its signals go with it). */
  private readonly dropped: ((runId: string) => void)[] = [];

  constructor(options: MemoryRunsOptions = {}) {
    this.clock = options.clock ?? new SystemClock();
    this.maxRuns = options.maxRuns ?? 1_000;
    this.maxStepRecords = options.maxStepRecords ?? 100_000;
  }

  /** Now, by the store's clock. */
  now(): Date {
    return new Date(this.clock.now());
  }

  nextEventId(): number {
    return ++this.eventSequence;
  }

  onDrop(listener: (runId: string) => void): void {
    this.dropped.push(listener);
  }

  /** Creates the run; when its idempotency key was used before, creates nothing and returns that run. */
  insert(run: NewRun): CreateRunOutcome {
    if (run.idempotencyKey !== null) {
      const existing = this.byIdempotencyKey.get(run.idempotencyKey);
      if (existing !== undefined) return { run: snapshot(this.runs.get(existing)!), created: false };
    }
    this.fence(run.runId, run.fence);
    if (this.runs.has(run.runId)) {
      throw new SpineError('invalid-argument', `Run "${run.runId}" already exists; pick another run id or resume that run.`);
    }
    const record = newRecord(run, this.now());
    this.runs.set(run.runId, { record, steps: [], sequence: this.sequence++ });
    if (run.idempotencyKey !== null) this.byIdempotencyKey.set(run.idempotencyKey, run.runId);
    return CREATED;
  }

  /**
   * Refuses a write under a stale claim (`LeaseLostError`, nothing written); returns the claimed
   * run (the written run's top-level run for a map item), or undefined for an unfenced write.
   */
  fence(runId: string, fence: Fence | null): StoredRun | undefined {
    if (fence === null) return undefined;
    const claimed = this.runs.get(fence.runId);
    if (claimed === undefined || claimed.record.leaseEpoch !== fence.epoch) {
      throw new LeaseLostError(runId, fence, claimed === undefined ? null : holderOf(claimed.record));
    }
    // a queue run's claim lapses with its lease (its slot may be another run's): the execution writes nothing more
    const { queue, leaseOwner, leaseExpiresAt } = claimed.record;
    if (queue !== null && leaseOwner !== null && leaseExpiresAt !== null && leaseExpiresAt.getTime() <= this.clock.now()) {
      throw new LeaseLostError(runId, fence, holderOf(claimed.record));
    }
    return claimed;
  }

  stored(runId: string): StoredRun {
    const stored = this.runs.get(runId);
    if (stored === undefined) throw new SpineError('unknown-run', `Run "${runId}" is not in this store.`);
    return stored;
  }

  /** A run ended: it may be dropped once the store holds too much. */
  finished(runId: string): void {
    this.finishedOrder.push(runId);
    this.evict();
  }

  /** A run resumed: it is not among the finished ones any more. */
  reopened(runId: string): void {
    const at = this.finishedOrder.indexOf(runId, this.finishedHead);
    if (at >= 0) this.finishedOrder.splice(at, 1);
  }

  drop(runId: string, stored: StoredRun): void {
    this.runs.delete(runId);
    this.stepRecords -= stored.steps.length;
    for (const ofName of stored.items?.values() ?? []) for (const ofStep of ofName.values()) this.stepRecords -= ofStep.size;
    if (stored.record.idempotencyKey !== null) this.byIdempotencyKey.delete(stored.record.idempotencyKey);
    for (const listener of this.dropped) listener(runId);
  }

  /** Drops the runs that finished first while more than `maxRuns` runs or `maxStepRecords` records are kept. */
  private evict(): void {
    while ((this.runs.size > this.maxRuns || this.stepRecords > this.maxStepRecords) && this.finishedHead < this.finishedOrder.length) {
      const runId = this.finishedOrder[this.finishedHead++]!;
      const stored = this.runs.get(runId);
      if (stored !== undefined) this.drop(runId, stored);
    }
    if (this.finishedHead > 1024 && this.finishedHead * 2 > this.finishedOrder.length) {
      this.finishedOrder.splice(0, this.finishedHead);
      this.finishedHead = 0;
    }
  }
}

export function holderOf(record: RunRecord): LeaseHolder {
  return { owner: record.leaseOwner, epoch: record.leaseEpoch, status: record.status };
}

export function applyCounters(record: Writable<RunRecord>, progress: RunCounters): void {
  record.executedSteps = progress.executedSteps;
  record.completedSteps = progress.completedSteps;
  record.failedSteps = progress.failedSteps;
  record.skippedSteps = progress.skippedSteps;
  record.lastCompletedStep = progress.lastCompletedStep;
}

export function snapshot(stored: StoredRun): RunRecord {
  return Object.freeze(copyRecord(stored.record));
}

const CREATED: CreateRunOutcome = Object.freeze({ created: true });

/** A new run's record (claimed at epoch 1 when it has a lease owner), as an explicit literal. */
function newRecord(run: NewRun, now: Date): Writable<RunRecord> {
  return copyRecord({
    runId: run.runId,
    workflowName: run.workflowName,
    workflowVersion: run.workflowVersion,
    workflowHash: run.workflowHash,
    appVersion: run.appVersion ?? null,
    domain: run.domain,
    params: run.params,
    originalParams: run.params,
    partition: run.partition,
    batchId: run.batchId,
    traceId: run.traceId,
    traceparent: run.traceparent ?? null,
    waitingFor: null,
    createdAt: now,
    asOfDate: run.asOfDate,
    captureId: run.captureId,
    idempotencyKey: run.idempotencyKey,
    parentRunId: run.parentRunId,
    rootRunId: run.rootRunId,
    totalSteps: run.totalSteps,
    startedAt: run.startedAt,
    status: run.enqueue ? 'queued' : 'running',
    executedSteps: 0,
    completedSteps: 0,
    failedSteps: 0,
    skippedSteps: 0,
    lastCompletedStep: null,
    finishedAt: null,
    durationMs: null,
    errorStep: null,
    error: null,
    errorCategory: null,
    leaseOwner: run.enqueue ? null : run.leaseOwner,
    leaseExpiresAt: run.enqueue ? run.enqueue.notBefore : run.leaseExpiresAt,
    leaseEpoch: run.leaseOwner === null || run.enqueue ? 0 : 1,
    cancelRequested: false,
    lostExecutions: 0,
    lostStep: null,
    queue: run.enqueue?.queue ?? null,
    priority: run.enqueue?.priority ?? 0,
    concurrencyKey: run.enqueue?.concurrencyKey ?? null,
    triggerSource: run.trigger?.source ?? 'api',
    triggerSchedule: run.trigger?.schedule ?? null,
    triggerFireTime: run.trigger?.fireTime ?? null,
  });
}

/** A copy as an explicit literal: one fixed object shape (a spread of this many keys goes to slow dictionary mode). */
export function copyRecord(r: RunRecord): Writable<RunRecord> {
  return {
    runId: r.runId,
    workflowName: r.workflowName,
    workflowVersion: r.workflowVersion,
    workflowHash: r.workflowHash,
    appVersion: r.appVersion,
    domain: r.domain,
    params: r.params,
    originalParams: r.originalParams,
    partition: r.partition,
    batchId: r.batchId,
    traceId: r.traceId,
    traceparent: r.traceparent,
    waitingFor: r.waitingFor,
    createdAt: r.createdAt,
    asOfDate: r.asOfDate,
    captureId: r.captureId,
    idempotencyKey: r.idempotencyKey,
    parentRunId: r.parentRunId,
    rootRunId: r.rootRunId,
    totalSteps: r.totalSteps,
    startedAt: r.startedAt,
    status: r.status,
    executedSteps: r.executedSteps,
    completedSteps: r.completedSteps,
    failedSteps: r.failedSteps,
    skippedSteps: r.skippedSteps,
    lastCompletedStep: r.lastCompletedStep,
    finishedAt: r.finishedAt,
    durationMs: r.durationMs,
    errorStep: r.errorStep,
    error: r.error,
    errorCategory: r.errorCategory,
    leaseOwner: r.leaseOwner,
    leaseExpiresAt: r.leaseExpiresAt,
    leaseEpoch: r.leaseEpoch,
    cancelRequested: r.cancelRequested,
    lostExecutions: r.lostExecutions,
    lostStep: r.lostStep,
    queue: r.queue,
    priority: r.priority,
    concurrencyKey: r.concurrencyKey,
    triggerSource: r.triggerSource,
    triggerSchedule: r.triggerSchedule,
    triggerFireTime: r.triggerFireTime,
  };
}
