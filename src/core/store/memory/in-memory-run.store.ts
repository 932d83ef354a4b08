import { LeaseLostError, SpineError } from '../../errors/spine-error';
import { SystemClock, type Clock } from '../../clock/clock.port';
import type { RunEvent } from '../../runner/run-event';
import type { WorkflowSpec } from '../../definition/workflow-spec';
import type {
  CheckpointRecord,
  CheckpointSnapshot,
  Fence,
  Fenced,
  LostExecutions,
  MapItemRecord,
  PurgeCriteria,
  QualityPoint,
  RunCounters,
  RunFilter,
  RunOutcome,
  RunProgress,
  RunRecord,
  StepCommit,
  StepRecord,
  StoredRunEvent,
} from '../records/run-record';
import { FINAL_STATUSES, type QualityStepSummary, type RunCount, type StoredDefinition } from '../records/run-record';
import { partitionKey } from '../record-limits';
import { qualityPoint } from '../quality-point';
import type { ClaimOutcome, CreateRunOutcome, FireOutcome, FireRecord, Lease, LeaseHolder, NewRun, RenewOutcome, ScheduleFireWrite } from '../records/store-writes';
import type { RunStore } from '../ports/spine-store';
import type { ChildRunSummary, ClaimedRun, QueueClaimRequest, QueueStats, WorkerRecord } from '../records/queue-record';
import { InMemoryQueue, type Writable } from './in-memory-queue';
import { InMemorySchedules } from './in-memory-schedules';
import type { ScheduleState } from '../../schedule/schedule';
import type { SignalRecord } from '../records/signal-record';

interface StoredRun {
  /** Updated in place on the hot path; callers get frozen copies. */
  readonly record: Writable<RunRecord>;
  readonly steps: StepRecord[];
  /** Insertion order: claims of equal priority and due time go oldest first. */
  readonly sequence: number;
  /** Context snapshots the checkpoint strategy kept, by `<step>\u0000<iteration>`. */
  snapshots?: Map<string, Readonly<Record<string, unknown>>>;
  /** The events kept for the run (not those its step rows tell), oldest first. */
  events?: StoredRunEvent[];
  /** Its maps' item rows, by `<step>\u0000<iteration>\u0000<index>`. */
  items?: Map<string, MapItemRecord>;
}

/** The expiry a released lease gets: long past, so recovery takes the run first. */
const RELEASED_LEASE = new Date(1000);
/**
 * Keeps runs in this process's memory (tests, ephemeral runs). Bounded by `maxRuns`: beyond it the
 * runs that finished first are dropped (running runs are never dropped).
 */
export class InMemoryRunStore implements RunStore {
  /** What the store is, in messages. */
  readonly storeName = 'memory';
  /** Records live as long as the process. */
  readonly durable = false;
  /** Time as this store reads it (the Spine's clock: a fake clock moves leases and queues too). */
  private readonly clock: Clock;
  private eventSequence = 0;
  private readonly runs = new Map<string, StoredRun>();
  private readonly byIdempotencyKey = new Map<string, string>();
  private readonly finishedOrder: string[] = [];
  private finishedHead = 0;
  private sequence = 0;
  private readonly maxRuns: number;
  private readonly maxStepRecords: number;
  private stepRecords = 0;
  /** Claims, a parent's items, statistics and worker rows over the same runs. */
  private readonly queue: InMemoryQueue;
  /** Schedules, their fires, and signals. */
  private readonly schedules: InMemorySchedules;

  /**
   * Bounds memory in long-lived processes: at most `maxRuns` runs (default 1,000) and
   * `maxStepRecords` step records (default 100,000). `clock` is the time leases, queues and
   * schedules are judged by (default the system clock; `Spine.create` gives its own).
   */
  constructor(options: { readonly maxRuns?: number; readonly maxStepRecords?: number; readonly clock?: Clock } = {}) {
    this.clock = options.clock ?? new SystemClock();
    const now = (): Date => new Date(this.clock.now());
    this.queue = new InMemoryQueue(this.runs, (record) => Object.freeze(copyRecord(record)), now);
    this.schedules = new InMemorySchedules((runId) => this.runs.get(runId)?.record, now);
    this.maxRuns = options.maxRuns ?? 1_000;
    this.maxStepRecords = options.maxStepRecords ?? 100_000;
  }

  async createRun(run: NewRun): Promise<CreateRunOutcome> {
    return this.insert(run);
  }

  private insert(run: NewRun): CreateRunOutcome {
    if (run.idempotencyKey !== null) {
      const existing = this.byIdempotencyKey.get(run.idempotencyKey);
      if (existing !== undefined) return { run: snapshot(this.runs.get(existing)!), created: false };
    }
    this.fence(run.runId, run.fence);
    if (this.runs.has(run.runId)) {
      throw new SpineError('invalid-argument', `Run "${run.runId}" already exists; pick another run id or resume that run.`);
    }
    const record = newRecord(run, new Date(this.clock.now()));
    const stored: StoredRun = { record, steps: [], sequence: this.sequence++ };
    this.runs.set(run.runId, stored);
    if (run.idempotencyKey !== null) this.byIdempotencyKey.set(run.idempotencyKey, run.runId);
    return CREATED;
  }

  recordStep(step: StepRecord, progress: RunProgress): StepCommit {
    const stored = this.stored(step.runId);
    const claimed = this.fence(step.runId, progress.fence) ?? stored;
    stored.steps.push(step);
    this.stepRecords++;
    if (progress.snapshot !== null) (stored.snapshots ??= new Map()).set(`${step.stepName}\u0000${step.iteration}`, structuredClone(progress.snapshot));
    // the status stays as create / reopen / finish set it (as in the SQL stores)
    applyCounters(stored.record, progress);
    return claimed.record.cancelRequested ? 'cancel-requested' : 'recorded';
  }

  async claimRun(runId: string, lease: Lease, now: Date): Promise<ClaimOutcome> {
    const stored = this.runs.get(runId);
    if (stored === undefined) return { claimed: false, run: null };
    const { record } = stored;
    const free = record.leaseOwner === null || (record.leaseExpiresAt !== null && record.leaseExpiresAt < now);
    if (!free || record.parentRunId !== null || FINAL_STATUSES.includes(record.status)) return { claimed: false, run: snapshot(stored) };
    record.leaseOwner = lease.owner;
    record.leaseExpiresAt = lease.expiresAt;
    record.leaseEpoch++;
    return { claimed: true, run: snapshot(stored) };
  }

  async renewLease(runId: string, fence: Fence, expiresAt: Date): Promise<RenewOutcome> {
    const record = this.runs.get(runId)?.record;
    if (record === undefined) return { held: false, cancelRequested: false, holder: null };
    // a queue run's lease that ran out is not taken back: its queue slot may be another run's by now
    const expired = record.queue !== null && record.leaseExpiresAt !== null && record.leaseExpiresAt.getTime() <= this.clock.now();
    if (record.leaseEpoch !== fence.epoch || record.leaseOwner === null || expired) return { held: false, cancelRequested: record.cancelRequested, holder: holderOf(record) };
    record.leaseExpiresAt = expiresAt;
    return { held: true, cancelRequested: record.cancelRequested, holder: null };
  }

  async releaseLease(runId: string, fence: Fence): Promise<void> {
    const record = this.runs.get(runId)?.record;
    if (record === undefined || record.leaseEpoch !== fence.epoch) return;
    record.leaseOwner = null;
    record.leaseExpiresAt = RELEASED_LEASE;
  }

  async requestCancel(runId: string): Promise<RunRecord | null> {
    const stored = this.runs.get(runId);
    if (stored === undefined) return null;
    if (!FINAL_STATUSES.includes(stored.record.status)) stored.record.cancelRequested = true;
    return snapshot(stored);
  }

  async listExpiredRuns(now: Date, limit: number): Promise<RunRecord[]> {
    return [...this.runs.values()]
      .filter(
        ({ record }) =>
          record.parentRunId === null && record.queue === null && (record.status === 'running' || record.status === 'waiting') && record.leaseExpiresAt !== null && record.leaseExpiresAt < now,
      )
      .sort((a, b) => a.record.leaseExpiresAt!.getTime() - b.record.leaseExpiresAt!.getTime())
      .slice(0, limit)
      .map(snapshot);
  }

  async reopenRun(runId: string, params: Readonly<Record<string, unknown>>, fence: Fence | null, lost: LostExecutions): Promise<void> {
    const { record } = this.stored(runId);
    this.fence(runId, fence);
    record.params = params;
    record.status = 'running';
    record.finishedAt = null;
    record.durationMs = null;
    record.errorStep = null;
    record.error = null;
    record.errorCategory = null;
    record.lostExecutions = lost.count;
    record.lostStep = lost.step;
    const at = this.finishedOrder.indexOf(runId, this.finishedHead);
    if (at >= 0) this.finishedOrder.splice(at, 1);
  }

  async recordInterruption(runId: string, fence: Fence | null, step: string | null, error: string): Promise<void> {
    const stored = this.runs.get(runId);
    if (stored === undefined) return;
    this.fence(runId, fence);
    stored.record.errorStep = step;
    stored.record.error = error;
  }

  async finishRun(runId: string, outcome: RunOutcome): Promise<void> {
    const stored = this.stored(runId);
    this.fence(runId, outcome.fence);
    const { record } = stored;
    record.status = outcome.status;
    applyCounters(record, outcome);
    record.leaseOwner = null;
    record.leaseExpiresAt = null;
    record.finishedAt = outcome.finishedAt;
    record.durationMs = outcome.durationMs;
    record.errorStep = outcome.errorStep;
    record.error = outcome.error;
    record.errorCategory = outcome.errorCategory;
    this.finishedOrder.push(runId);
    this.evict();
  }

  async recordProgress(runId: string, progress: RunCounters & Fenced): Promise<void> {
    const record = this.runs.get(runId)?.record;
    // a stale execution's counters are not the run's: the epoch guards a top-level run (an item's run has no claim of its own)
    if (record === undefined || (progress.fence !== null && progress.fence.runId === runId && record.leaseEpoch !== progress.fence.epoch)) return;
    applyCounters(record, progress);
  }

  /** Memory keeps any value a step returns: nothing is refused for its form. */
  checkStorable(): string | null {
    return null;
  }

  recordEvents(events: readonly RunEvent[], fence: Fence | null): void {
    const first = events[0];
    if (first === undefined) return;
    if (fence !== null) this.fence(first.runId, fence);
    for (const event of events) {
      const stored = this.runs.get(event.runId);
      if (stored === undefined) continue;
      // run id, trace id and workflow are the run's; type, step, attempt and time are kept apart (as in the events table)
      const { type, runId: _run, step, attempt, timestamp, traceId: _trace, workflow: _workflow, ...payload } = event;
      (stored.events ??= []).push({ id: ++this.eventSequence, type, step: step ?? null, attempt: attempt ?? null, payload: structuredClone(payload), at: new Date(timestamp) });
    }
  }

  async listRunEvents(runId: string, limit: number): Promise<StoredRunEvent[]> {
    return (this.runs.get(runId)?.events ?? []).slice(0, Math.max(0, Math.floor(limit))).map((event) => ({ ...event, payload: structuredClone(event.payload) }));
  }

  async recordMapItem(item: MapItemRecord, fence: Fence | null): Promise<void> {
    const stored = this.stored(item.runId);
    this.fence(item.runId, fence);
    // an item recorded before (it failed, and ran again) is replaced
    (stored.items ??= new Map()).set(`${item.stepName}\u0000${item.iteration}\u0000${item.index}`, Object.freeze({ ...item, output: item.output === undefined ? null : structuredClone(item.output) }));
  }

  async listMapItems(runId: string, step?: string, iteration?: number): Promise<MapItemRecord[]> {
    const one = step !== undefined && iteration !== undefined;
    return [...(this.runs.get(runId)?.items?.values() ?? [])]
      .filter((item) => !one || (item.stepName === step && item.iteration === iteration))
      .sort((a, b) => (a.stepName < b.stepName ? -1 : a.stepName > b.stepName ? 1 : a.iteration - b.iteration || a.index - b.index))
      .map((item) => ({ ...item, output: structuredClone(item.output) }));
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const stored = this.runs.get(runId);
    return stored === undefined ? null : snapshot(stored);
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const statuses = filter.status === undefined ? null : new Set([filter.status].flat());
    const matches = [...this.runs.values()]
      .filter(
        ({ record }) =>
          (filter.workflow === undefined || record.workflowName === filter.workflow) &&
          (statuses === null || statuses.has(record.status)) &&
          (filter.batchId === undefined || record.batchId === filter.batchId) &&
          (filter.parentRunId !== undefined ? record.parentRunId === filter.parentRunId : filter.includeChildren === true || record.parentRunId === null) &&
          (filter.since === undefined || record.startedAt >= filter.since) &&
          (filter.until === undefined || record.startedAt < filter.until) &&
          (filter.trigger === undefined || record.triggerSource === filter.trigger) &&
          (filter.partition === undefined || (partitionKey(record.partition) ?? '').includes(filter.partition)),
      )
      .sort((a, b) => b.record.startedAt.getTime() - a.record.startedAt.getTime() || byRunIdDescending(a.record.runId, b.record.runId))
      .map(snapshot);
    const page = filter.before === undefined ? matches : matches.slice(afterCursor(matches, filter.before));
    return filter.limit === undefined ? page : page.slice(0, filter.limit);
  }

  async countRuns(since: Date): Promise<RunCount[]> {
    const counts = new Map<string, { workflow: string; status: RunCount['status']; count: number; lastStartedAt: Date }>();
    for (const { record } of this.runs.values()) {
      if (record.parentRunId !== null || record.startedAt < since) continue;
      const key = `${record.workflowName}\u0000${record.status}`;
      const found = counts.get(key) ?? { workflow: record.workflowName, status: record.status, count: 0, lastStartedAt: record.startedAt };
      found.count++;
      if (record.startedAt > found.lastStartedAt) found.lastStartedAt = record.startedAt;
      counts.set(key, found);
    }
    return [...counts.values()];
  }

  async listQualitySteps(since: Date): Promise<QualityStepSummary[]> {
    const summaries = new Map<string, { workflow: string; step: string; executions: number; passed: number; failed: number; lastAt: Date }>();
    for (const { record, steps } of this.runs.values()) {
      if (record.startedAt < since) continue;
      for (const step of steps) {
        if (step.quality === null || (step.status !== 'completed' && step.status !== 'failed')) continue;
        const key = `${record.workflowName}\u0000${step.stepName}`;
        const found = summaries.get(key) ?? { workflow: record.workflowName, step: step.stepName, executions: 0, passed: 0, failed: 0, lastAt: step.startedAt };
        const { passed } = qualityPoint(step.runId, step.startedAt, step.quality);
        found.executions++;
        if (passed) found.passed++;
        else found.failed++;
        if (step.startedAt > found.lastAt) found.lastAt = step.startedAt;
        summaries.set(key, found);
      }
    }
    return [...summaries.values()].sort((a, b) => a.workflow.localeCompare(b.workflow) || a.step.localeCompare(b.step));
  }

  async getRunSteps(runId: string): Promise<StepRecord[]> {
    return [...(this.runs.get(runId)?.steps ?? [])];
  }

  claimQueued(request: QueueClaimRequest): Promise<ClaimedRun[]> {
    return Promise.resolve(this.queue.claim(request));
  }

  async enqueueRuns(runs: readonly NewRun[], fence: Fence | null): Promise<number> {
    let created = 0;
    for (const run of runs) {
      if (this.runs.has(run.runId)) continue;
      await this.createRun({ ...run, fence });
      created++;
    }
    return created;
  }

  async requeueRuns(runs: readonly { readonly runId: string; readonly params: Readonly<Record<string, unknown>> }[], fence: Fence | null, now: Date): Promise<void> {
    if (fence !== null) this.fence(fence.runId, fence);
    for (const { runId, params } of runs) {
      const record = this.runs.get(runId)?.record;
      if (record === undefined || record.queue === null || !['failed', 'cancelled', 'stopped'].includes(record.status)) continue;
      record.status = 'queued';
      record.leaseOwner = null;
      record.leaseExpiresAt = now;
      record.cancelRequested = false;
      record.finishedAt = null;
      record.params = params;
    }
  }

  async parkRun(runId: string, fence: Fence, wakeAt: Date, waitingFor: string | null): Promise<void> {
    const { record } = this.stored(runId);
    this.fence(runId, fence);
    record.status = 'waiting';
    record.leaseOwner = null;
    record.leaseExpiresAt = wakeAt;
    record.waitingFor = waitingFor;
  }

  async settleChild(parentRunId: string, failed: boolean, now: Date): Promise<void> {
    this.queue.settleChild(parentRunId, failed, now);
  }

  async listChildren(parentRunId: string): Promise<ChildRunSummary[]> {
    return this.queue.listChildren(parentRunId);
  }

  async cancelChildren(parentRunId: string): Promise<number> {
    return this.queue.cancelChildren(parentRunId);
  }

  async queueStats(now: Date): Promise<QueueStats[]> {
    return this.queue.stats(now);
  }

  async saveWorker(worker: WorkerRecord): Promise<void> {
    this.queue.saveWorker(worker);
  }

  async removeWorker(workerId: string): Promise<void> {
    this.queue.removeWorker(workerId);
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return this.queue.listWorkers();
  }

  async saveSchedules(schedules: readonly { readonly name: string; readonly workflow: string; readonly paused: boolean }[], now: Date): Promise<ScheduleState[]> {
    return this.schedules.save(schedules, now);
  }

  async listScheduleStates(): Promise<ScheduleState[]> {
    return this.schedules.list();
  }

  async setSchedulePaused(name: string, paused: boolean, now: Date): Promise<ScheduleState | null> {
    return this.schedules.setPaused(name, paused, now);
  }

  async fireSchedule(fire: ScheduleFireWrite): Promise<FireOutcome> {
    const outcome = this.schedules.fire(fire, () => {
      if (fire.run !== null && this.runs.has(fire.run.runId)) {
        throw new SpineError('invalid-argument', `Run "${fire.run.runId}" already exists; pick another run id for the fire.`);
      }
    });
    if (outcome.fired && fire.run !== null) {
      const created = this.insert(fire.run);
      if (!created.created) return { fired: true, runId: created.run.runId };
    }
    return outcome;
  }

  async moveScheduleCursor(name: string, to: Date): Promise<void> {
    this.schedules.moveCursor(name, to);
  }

  async listFires(schedule: string, from: Date, to: Date): Promise<FireRecord[]> {
    return this.schedules.listFires(schedule, from, to);
  }

  async latestFires(schedules: readonly string[]): Promise<FireRecord[]> {
    return this.schedules.latestFires(schedules);
  }

  async sendSignal(runId: string, name: string, payload: unknown, now: Date, dedupeId: string | null): Promise<SignalRecord> {
    return this.schedules.send(runId, name, payload, now, dedupeId);
  }

  async listSignals(runId: string): Promise<SignalRecord[]> {
    return this.schedules.listSignals(runId);
  }

  async consumeSignal(runId: string, name: string, consumer: string, fence: Fence | null, now: Date): Promise<SignalRecord | null> {
    this.fence(runId, fence);
    return this.schedules.consume(runId, name, consumer, now);
  }

  async wakeRun(runId: string, now: Date): Promise<void> {
    this.schedules.wake(runId, now);
  }

  /**
   * Refuses a write under a stale claim (`LeaseLostError`, nothing written); returns the claimed
   * run (the written run's top-level run for a map item), or undefined for an unfenced write.
   */
  private fence(runId: string, fence: Fence | null): StoredRun | undefined {
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

  async listCheckpoints(runId: string): Promise<CheckpointRecord[]> {
    let executed = 0;
    const checkpoints: CheckpointRecord[] = [];
    const stored = this.runs.get(runId);
    for (const step of stored?.steps ?? []) {
      if (step.status === 'completed' || step.status === 'failed') executed++;
      if (step.status === 'completed') {
        const hasContext = stored?.snapshots?.has(`${step.stepName}\u0000${step.iteration}`) === true;
        checkpoints.push({ runId, stepName: step.stepName, iteration: step.iteration, executedSteps: executed, createdAt: step.finishedAt, hasContext });
      }
    }
    return checkpoints;
  }

  async getCheckpoint(runId: string, step: string): Promise<CheckpointSnapshot | null> {
    const checkpoint = (await this.listCheckpoints(runId)).filter((c) => c.stepName === step).pop();
    const context = checkpoint === undefined ? undefined : this.runs.get(runId)?.snapshots?.get(`${step}\u0000${checkpoint.iteration}`);
    return checkpoint === undefined || context === undefined ? null : { ...checkpoint, context: structuredClone(context) };
  }

  private readonly storedDefinitions: StoredDefinition[] = [];
  /** The hashes of code definitions that ran, by name. */
  private readonly definitionHashes = new Map<string, Map<string, WorkflowSpec>>();

  async saveDefinition(spec: WorkflowSpec, hash: string): Promise<void> {
    const byHash = this.definitionHashes.get(spec.name) ?? new Map<string, WorkflowSpec>();
    if (!byHash.has(hash)) byHash.set(hash, structuredClone(spec));
    this.definitionHashes.set(spec.name, byHash);
  }

  /** Memory has no clock of its own: the store's clock is the one every process in it shares. */
  async databaseTime(): Promise<Date> {
    return new Date(this.clock.now());
  }

  async saveStoredDefinition(definition: Omit<StoredDefinition, 'isActive' | 'createdAt' | 'updatedAt'>, now: Date): Promise<{ readonly created: boolean }> {
    const index = this.storedDefinitions.findIndex((d) => d.name === definition.name && d.hash === definition.hash);
    for (const [i, stored] of this.storedDefinitions.entries()) {
      if (stored.name === definition.name && stored.isActive && i !== index) this.storedDefinitions[i] = { ...stored, isActive: false, updatedAt: now };
    }
    if (index >= 0) {
      this.storedDefinitions[index] = { ...this.storedDefinitions[index]!, isActive: true, updatedAt: now };
      return { created: false };
    }
    this.storedDefinitions.push({ ...structuredClone(definition), isActive: true, createdAt: now, updatedAt: now });
    return { created: true };
  }

  async listStoredDefinitions(): Promise<StoredDefinition[]> {
    return this.storedDefinitions
      .filter((d) => d.isActive)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((d) => structuredClone(d));
  }

  async deleteCheckpoints(runId: string): Promise<number> {
    const stored = this.runs.get(runId);
    const count = stored?.snapshots?.size ?? 0;
    stored?.snapshots?.clear();
    return count;
  }

  async qualityTrend(workflow: string, step: string, since: Date): Promise<QualityPoint[]> {
    const points: QualityPoint[] = [];
    for (const { record, steps } of this.runs.values()) {
      if (record.workflowName !== workflow || record.startedAt < since) continue;
      for (const s of steps) {
        if (s.stepName === step && s.quality !== null && s.startedAt >= since && (s.status === 'completed' || s.status === 'failed')) {
          points.push(qualityPoint(s.runId, s.startedAt, s.quality));
        }
      }
    }
    return points.sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  async purge(criteria: PurgeCriteria): Promise<number> {
    let purged = 0;
    const purgedRoots = new Set<string>();
    for (const [runId, stored] of this.runs) {
      const { record } = stored;
      if (record.parentRunId !== null) continue;
      const finished = FINAL_STATUSES.includes(record.status) || (record.status === 'failed' && criteria.keepFailed !== true);
      if (!finished || record.finishedAt === null || record.finishedAt >= criteria.before) continue;
      this.drop(runId, stored);
      purgedRoots.add(runId);
      purged++;
    }
    // map items go with their top-level run, never on their own
    for (const [runId, stored] of this.runs) if (stored.record.rootRunId !== null && purgedRoots.has(stored.record.rootRunId)) this.drop(runId, stored);
    return purged;
  }

  private drop(runId: string, stored: StoredRun): void {
    this.runs.delete(runId);
    this.stepRecords -= stored.steps.length;
    if (stored.record.idempotencyKey !== null) this.byIdempotencyKey.delete(stored.record.idempotencyKey);
    this.schedules.forget(runId);
  }

  private stored(runId: string): StoredRun {
    const stored = this.runs.get(runId);
    if (stored === undefined) throw new SpineError('unknown-run', `Run "${runId}" is not in this store.`);
    return stored;
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

function holderOf(record: RunRecord): LeaseHolder {
  return { owner: record.leaseOwner, epoch: record.leaseEpoch, status: record.status };
}

function applyCounters(record: Writable<RunRecord>, progress: RunCounters): void {
  record.executedSteps = progress.executedSteps;
  record.completedSteps = progress.completedSteps;
  record.failedSteps = progress.failedSteps;
  record.skippedSteps = progress.skippedSteps;
  record.lastCompletedStep = progress.lastCompletedStep;
}

function snapshot(stored: StoredRun): RunRecord {
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
    domain: run.domain,
    params: run.params,
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
function copyRecord(r: RunRecord): Writable<RunRecord> {
  return {
    runId: r.runId,
    workflowName: r.workflowName,
    workflowVersion: r.workflowVersion,
    workflowHash: r.workflowHash,
    domain: r.domain,
    params: r.params,
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

/** Where a keyset page starts in a newest-first listing: after the cursor's run, or after the runs started at or after it. */
function afterCursor(runs: readonly RunRecord[], cursor: { readonly startedAt: Date; readonly runId: string }): number {
  // keyset: the first run after the cursor in (started_at DESC, run_id DESC) order, whether or not the cursor's run still exists
  const at = cursor.startedAt.getTime();
  const next = runs.findIndex((run) => run.startedAt.getTime() < at || (run.startedAt.getTime() === at && byRunIdDescending(cursor.runId, run.runId) < 0));
  return next < 0 ? runs.length : next;
}

/** Run ids newest-first as the SQL stores order them (`run_id DESC`, binary). */
function byRunIdDescending(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}
