import { holds } from '../records/held-definitions';
import type { Fence, RunRecord } from '../records/run-record';
import { candidateWindow, pickClaims, rateWindow, unservedRuns, type ChildRunSummary, type ClaimedRun, type QueueClaimRequest, type QueueStats, type WorkerRecord } from '../records/queue-record';
import type { NewRun } from '../records/store-writes';
import type { RunQueue } from '../ports/run-queue.port';
import { copyRecord, type MemoryRuns } from './memory-runs';

/** Not finished: a worker may still have to execute it. */
function isClaimable(status: RunRecord['status']): boolean {
  return status === 'queued' || status === 'running' || status === 'waiting';
}

/** A run whose execution was lost: still owned, its lease expired (the claim only looks at expired ones). */
const isOrphan = (record: RunRecord): boolean => record.leaseOwner !== null && record.status !== 'queued';

/**
 * The run queue of the in-memory store, over the store's own runs: claims (the same decisions as
 * the SQL stores', through `pickClaims`), enqueues, parks and re-queues, a parent's items,
 * statistics and worker rows.
 */
export class InMemoryQueue implements RunQueue {
  /** Start times inside each rate-limited queue's window. */
  private readonly rateStarts = new Map<string, number[]>();
  private readonly workers = new Map<string, WorkerRecord>();

  constructor(private readonly state: MemoryRuns) {}

  async claimQueued(request: QueueClaimRequest): Promise<ClaimedRun[]> {
    const now = request.now;
    const claimed: ClaimedRun[] = [];
    const live = (r: RunRecord): boolean => r.leaseOwner !== null && r.leaseExpiresAt !== null && r.leaseExpiresAt > now;
    for (const { name, limits } of request.queues) {
      const free = request.max - claimed.length;
      if (free <= 0) break;
      const ofQueue = [...this.state.runs.values()].filter(({ record }) => record.queue === name && isClaimable(record.status));
      const running = ofQueue.filter(({ record }) => live(record)).length;
      const room = Math.min(free, limits.concurrency === undefined ? free : limits.concurrency - running);
      if (room <= 0) continue;
      const window = rateWindow(this.rateStarts.get(name) ?? [], limits, now.getTime());
      const candidates = ofQueue
        .filter(
          ({ record }) =>
            record.leaseExpiresAt !== null && record.leaseExpiresAt <= now && holds(request.held, record) && (request.parentRunId === undefined || record.parentRunId === request.parentRunId),
        )
        // recovery first: runs whose execution was lost (still owned, lease expired) before the backlog
        .sort((a, b) => {
          const orphans = Number(isOrphan(b.record)) - Number(isOrphan(a.record));
          if (orphans !== 0) return orphans;
          if (isOrphan(a.record)) return a.record.leaseExpiresAt!.getTime() - b.record.leaseExpiresAt!.getTime() || (a.record.runId < b.record.runId ? -1 : 1);
          return a.record.priority - b.record.priority || a.record.leaseExpiresAt!.getTime() - b.record.leaseExpiresAt!.getTime() || a.sequence - b.sequence;
        })
        .slice(0, candidateWindow(room))
        .map(({ record }) => record);
      const keyRunning = new Map<string, number>();
      for (const { record } of this.state.runs.values()) {
        if (record.concurrencyKey !== null && isClaimable(record.status) && live(record)) keyRunning.set(record.concurrencyKey, (keyRunning.get(record.concurrencyKey) ?? 0) + 1);
      }
      for (const pick of pickClaims(candidates, limits, { room, rateRoom: window.room }, keyRunning)) {
        const record = this.state.runs.get(pick.runId)!.record;
        const firstStart = record.status === 'queued';
        const lost = record.status === 'running' && record.leaseOwner !== null;
        const dueAt = record.leaseExpiresAt;
        if (firstStart) {
          record.status = 'running';
          record.startedAt = now;
          window.recent.push(now.getTime());
        }
        record.leaseOwner = request.owner;
        record.leaseExpiresAt = request.leaseExpiresAt;
        record.leaseEpoch++;
        claimed.push({ run: Object.freeze(copyRecord(record)), firstStart, lost, dueAt });
      }
      if (limits.rateLimit !== undefined) this.rateStarts.set(name, window.recent);
    }
    return claimed;
  }

  async settleChild(parentRunId: string, failed: boolean, now: Date): Promise<void> {
    const parent = this.state.runs.get(parentRunId)?.record;
    if (parent === undefined || parent.status !== 'waiting' || parent.leaseOwner !== null) return;
    const unsettled = [...this.state.runs.values()].some(({ record }) => record.parentRunId === parentRunId && record.queue !== null && isClaimable(record.status));
    if (!unsettled || failed) parent.leaseExpiresAt = now;
  }

  async listChildren(parentRunId: string): Promise<ChildRunSummary[]> {
    return [...this.state.runs.values()]
      .filter(({ record }) => record.parentRunId === parentRunId)
      .map(({ record: r }) => ({ runId: r.runId, status: r.status, errorStep: r.errorStep, error: r.error, errorCategory: r.errorCategory, lastCompletedStep: r.lastCompletedStep }))
      .sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
  }

  async cancelChildren(parentRunId: string): Promise<number> {
    let asked = 0;
    for (const { record } of this.state.runs.values()) {
      if (record.parentRunId !== parentRunId || !isClaimable(record.status)) continue;
      record.cancelRequested = true;
      asked++;
      if (record.status === 'queued' || (record.status === 'waiting' && record.leaseOwner === null)) {
        record.status = 'cancelled';
        record.finishedAt = this.state.now();
        record.leaseExpiresAt = null;
      }
    }
    return asked;
  }

  async queueStats(now: Date): Promise<QueueStats[]> {
    const queues = new Map<string, { queued: number; due: number; running: number; waiting: number; oldest: Date | null; keys: Map<string, { running: number; queued: number }> }>();
    const byWorkflow = new Map<string, { queue: string; workflow: string; count: number; oldestQueuedAt: Date }>();
    for (const { record } of this.state.runs.values()) {
      if (record.queue === null || !isClaimable(record.status)) continue;
      if (record.status === 'queued') {
        const key = `${record.queue}\u0000${record.workflowName}`;
        const counted = byWorkflow.get(key);
        if (counted === undefined) byWorkflow.set(key, { queue: record.queue, workflow: record.workflowName, count: 1, oldestQueuedAt: record.startedAt });
        else {
          counted.count++;
          if (record.startedAt < counted.oldestQueuedAt) counted.oldestQueuedAt = record.startedAt;
        }
      }
      let q = queues.get(record.queue);
      if (q === undefined) queues.set(record.queue, (q = { queued: 0, due: 0, running: 0, waiting: 0, oldest: null, keys: new Map() }));
      const running = record.leaseOwner !== null && record.leaseExpiresAt !== null && record.leaseExpiresAt > now;
      if (record.status === 'queued') {
        q.queued++;
        if (record.leaseExpiresAt !== null && record.leaseExpiresAt <= now) q.due++;
        if (q.oldest === null || record.startedAt < q.oldest) q.oldest = record.startedAt;
      } else if (running) q.running++;
      else q.waiting++;
      if (record.concurrencyKey !== null && (running || record.status === 'queued')) {
        const k = q.keys.get(record.concurrencyKey) ?? { running: 0, queued: 0 };
        if (running) k.running++;
        else k.queued++;
        q.keys.set(record.concurrencyKey, k);
      }
    }
    const unserved = unservedRuns([...byWorkflow.values()], [...this.workers.values()], now);
    return [...queues.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([queue, q]) => ({
        queue,
        queued: q.queued,
        due: q.due,
        running: q.running,
        waiting: q.waiting,
        oldestQueuedAt: q.oldest,
        keys: [...q.keys.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, k]) => ({ key, ...k })),
        unserved: unserved.get(queue) ?? [],
      }));
  }

  async saveWorker(worker: WorkerRecord): Promise<void> {
    this.workers.set(worker.workerId, worker);
    for (const [id, other] of this.workers) if (other.heartbeatAt.getTime() < worker.heartbeatAt.getTime() - 10 * 60_000) this.workers.delete(id);
  }

  async removeWorker(workerId: string): Promise<void> {
    this.workers.delete(workerId);
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return [...this.workers.values()].sort((a, b) => b.heartbeatAt.getTime() - a.heartbeatAt.getTime());
  }

  async enqueueRuns(runs: readonly NewRun[], fence: Fence | null): Promise<number> {
    let created = 0;
    for (const run of runs) {
      if (this.state.runs.has(run.runId)) continue;
      this.state.insert({ ...run, fence });
      created++;
    }
    return created;
  }

  async requeueRuns(runs: readonly { readonly runId: string; readonly params: Readonly<Record<string, unknown>> }[], fence: Fence | null, now: Date): Promise<number> {
    if (fence !== null) this.state.fence(fence.runId, fence);
    let requeued = 0;
    for (const { runId, params } of runs) {
      const record = this.state.runs.get(runId)?.record;
      if (record === undefined || record.queue === null || !['failed', 'cancelled', 'stopped'].includes(record.status)) continue;
      record.status = 'queued';
      record.leaseOwner = null;
      record.leaseExpiresAt = now;
      record.cancelRequested = false;
      record.finishedAt = null;
      record.params = params;
      requeued++;
    }
    return requeued;
  }

  async parkRun(runId: string, fence: Fence, wakeAt: Date, waitingFor: string | null): Promise<void> {
    const { record } = this.state.stored(runId);
    this.state.fence(runId, fence);
    record.status = 'waiting';
    record.leaseOwner = null;
    record.leaseExpiresAt = wakeAt;
    record.waitingFor = waitingFor;
  }
}
