import { SpineError } from '../../errors/spine-error';
import type { HeldDefinitions } from './held-definitions';
import type { RunRecord } from './run-record';

/** The queue runs go to when neither the caller nor the workflow names one. */
export const DEFAULT_QUEUE = 'default';

/** How a run is enqueued instead of executed by the process that starts it. */
export interface EnqueueSpec {
  readonly queue: string;
  /** Lower runs first (default 0); FIFO within a priority. */
  readonly priority: number;
  /** Runs sharing a key run at most the queue's `perKeyConcurrency` at once (default 1). */
  readonly concurrencyKey: string | null;
  /** Not started before this time. */
  readonly notBefore: Date;
}

/**
 * Limits of one queue, enforced in the claim transaction (so across every worker process on the
 * database): `concurrency` runs holding a live lease at once, `rateLimit.max` runs started (taken
 * off the queue for the first time) in any window of `rateLimit.perMs`, and at most
 * `perKeyConcurrency` (default 1) running runs per concurrency key.
 */
export interface QueueLimits {
  readonly concurrency?: number;
  readonly rateLimit?: { readonly max: number; readonly perMs: number };
  readonly perKeyConcurrency?: number;
}

/** One claim attempt of a worker: the queues it serves (with their limits), how many runs it can take, and the lease they get. */
export interface QueueClaimRequest {
  readonly owner: string;
  readonly queues: readonly { readonly name: string; readonly limits: QueueLimits }[];
  readonly max: number;
  readonly now: Date;
  readonly leaseExpiresAt: Date;
  /** Only runs started on a definition the worker holds (see `HeldDefinitions`). */
  readonly held: HeldDefinitions;
  /** Only the items of this parent run (a distributed map's process helping with its own items). */
  readonly parentRunId?: string;
  /**
   * The time once a queue's lock is held, for the rate window and first-start times (a claim that
   * waited for the lock must not record its starts in the past). Default: `now` throughout.
   */
  readonly clock?: () => number;
}

/** A run a worker claimed: the run as it is now (`leaseEpoch` is the claim's), and whether it left the queue with this claim (its first start). */
export interface ClaimedRun {
  readonly run: RunRecord;
  readonly firstStart: boolean;
  /** It was running under a lease that expired: its last execution was lost (its process died or was cut off). */
  readonly lost: boolean;
  /** When it became claimable (enqueued and due, its wake-up time, its lease's expiry); for claim latency. */
  readonly dueAt?: Date | null;
}

/** What is on one queue now. */
export interface QueueStats {
  readonly queue: string;
  /** Enqueued, not started (including those not due yet). */
  readonly queued: number;
  /** Queued and due now. */
  readonly due: number;
  /** Holding a live lease. */
  readonly running: number;
  /** Parked in a wait or a distributed map, or handed off / orphaned (lease expired or released). */
  readonly waiting: number;
  /** Enqueue time of the oldest queued run. */
  readonly oldestQueuedAt: Date | null;
  /** Per concurrency key: runs holding a live lease and runs queued. */
  readonly keys: readonly { readonly key: string; readonly running: number; readonly queued: number }[];
  /**
   * Queued runs that no live worker of the queue can execute (none serves the queue, or none has
   * their workflow registered), per workflow: how many and since when. A worker claims only the
   * workflows it has, so these wait until one that has them starts.
   */
  readonly unserved: readonly UnservedRuns[];
}

/** Queued runs of one workflow that no live worker serving their queue has registered. */
export interface UnservedRuns {
  readonly workflow: string;
  readonly count: number;
  readonly oldestQueuedAt: Date;
}

/** A worker that saved its row within this long counts as live (it saves one every few seconds). */
export const LIVE_WORKER_MS = 60_000;

/**
 * True when the worker's row says it is alive at `now`: renewed within three of its heartbeat
 * intervals (and a second), at most `LIVE_WORKER_MS`; a killed worker's row counts as dead after that.
 */
export function isLiveWorker(worker: WorkerRecord, now: number): boolean {
  const within = worker.heartbeatMs === null ? LIVE_WORKER_MS : Math.min(LIVE_WORKER_MS, 3 * worker.heartbeatMs + 1_000);
  return worker.heartbeatAt.getTime() >= now - within;
}

/** Queued runs by queue and workflow, as a store counts them for `unservedRuns`. */
export interface QueuedCount {
  readonly queue: string;
  readonly workflow: string;
  readonly count: number;
  readonly oldestQueuedAt: Date;
}

/**
 * Which queued runs no live worker can take: for each queue, the workflows of its queued runs that
 * no live worker serving that queue (`isLiveWorker`) has registered.
 */
export function unservedRuns(queued: readonly QueuedCount[], workers: readonly WorkerRecord[], now: Date): Map<string, UnservedRuns[]> {
  const served = new Map<string, Set<string>>();
  for (const worker of workers) {
    if (!isLiveWorker(worker, now.getTime())) continue;
    for (const queue of worker.queues) {
      let names = served.get(queue);
      if (names === undefined) served.set(queue, (names = new Set()));
      for (const workflow of worker.workflows) names.add(workflow);
    }
  }
  const unserved = new Map<string, UnservedRuns[]>();
  for (const row of queued) {
    if (served.get(row.queue)?.has(row.workflow) === true) continue;
    const list = unserved.get(row.queue) ?? [];
    list.push({ workflow: row.workflow, count: row.count, oldestQueuedAt: row.oldestQueuedAt });
    unserved.set(row.queue, list);
  }
  for (const list of unserved.values()) list.sort((a, b) => a.oldestQueuedAt.getTime() - b.oldestQueuedAt.getTime() || (a.workflow < b.workflow ? -1 : 1));
  return unserved;
}

/** A worker process as it registers itself (one row per worker, renewed by its heartbeat). */
export interface WorkerRecord {
  readonly workerId: string;
  readonly hostname: string;
  readonly pid: number;
  readonly queues: readonly string[];
  /** The workflows it can execute (the only ones it claims). */
  readonly workflows: readonly string[];
  /** The definitions it holds: it claims only runs started on one of them (see `HeldDefinitions`). */
  readonly definitions: HeldDefinitions;
  /** The application build it runs (null: not known). */
  readonly appVersion: string | null;
  readonly concurrency: number;
  readonly running: number;
  readonly startedAt: Date;
  readonly heartbeatAt: Date;
  /** How often it renews its row (null: not recorded, rows of earlier releases). */
  readonly heartbeatMs: number | null;
}

/** What a distributed map's items are doing, read by their parent run. */
export interface ChildRunSummary {
  readonly runId: string;
  readonly status: RunRecord['status'];
  readonly errorStep: string | null;
  readonly error: string | null;
  readonly errorCategory: RunRecord['errorCategory'];
  readonly lastCompletedStep: string | null;
}

/** Checks a queue name, priority and concurrency key given by a caller; throws naming the bad one. */
export function checkEnqueue(where: string, spec: { queue?: unknown; priority?: unknown; concurrencyKey?: unknown; notBefore?: unknown }): void {
  if (spec.queue !== undefined && !(typeof spec.queue === 'string' && spec.queue.length > 0 && spec.queue.length <= 255)) {
    throw new SpineError('invalid-argument', `${where}: queue must be a non-empty string of at most 255 characters (got ${JSON.stringify(spec.queue)}).`);
  }
  if (spec.priority !== undefined && !(Number.isInteger(spec.priority) && Math.abs(spec.priority as number) <= 1_000_000)) {
    throw new SpineError('invalid-argument', `${where}: priority must be a whole number between -1000000 and 1000000; lower runs first (got ${String(spec.priority)}).`);
  }
  const key = spec.concurrencyKey;
  if (key !== undefined && key !== null && !(typeof key === 'string' && key.length > 0 && key.length <= 255)) {
    throw new SpineError('invalid-argument', `${where}: concurrencyKey must be a non-empty string of at most 255 characters (got ${JSON.stringify(key)}).`);
  }
  const notBefore = spec.notBefore;
  if (notBefore !== undefined && !(notBefore instanceof Date && !Number.isNaN(notBefore.getTime()))) {
    throw new SpineError('invalid-argument', `${where}: notBefore must be a valid Date (got ${String(notBefore)}).`);
  }
}

/** Checks the limits of a queue declared in code; throws naming the queue and the bad value. */
export function checkQueueLimits(name: string, limits: QueueLimits): void {
  const where = `queue "${name}"`;
  const positive = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 1;
  if (limits.concurrency !== undefined && !positive(limits.concurrency)) {
    throw new SpineError('invalid-argument', `${where}: concurrency must be a whole number ≥ 1 (got ${String(limits.concurrency)}).`);
  }
  if (limits.perKeyConcurrency !== undefined && !positive(limits.perKeyConcurrency)) {
    throw new SpineError('invalid-argument', `${where}: perKeyConcurrency must be a whole number ≥ 1 (got ${String(limits.perKeyConcurrency)}).`);
  }
  const rate = limits.rateLimit;
  if (rate !== undefined && !(positive(rate.max) && rate.max <= 10_000 && typeof rate.perMs === 'number' && rate.perMs > 0)) {
    throw new SpineError('invalid-argument', `${where}: rateLimit must be { max: whole number 1…10000, perMs: number > 0 } (got ${JSON.stringify(rate)}).`);
  }
}

/**
 * The rate limiter's state: start times (ms) inside the window, oldest first. Returns how many
 * more starts the window allows now, after dropping the ones that left it.
 */
export function rateWindow(starts: readonly number[], limits: QueueLimits, now: number): { readonly recent: number[]; readonly room: number } {
  const rate = limits.rateLimit;
  if (rate === undefined) return { recent: [], room: Number.POSITIVE_INFINITY };
  const recent = starts.filter((at) => at > now - rate.perMs);
  return { recent, room: Math.max(0, rate.max - recent.length) };
}

/** A run a claim may take, as the claim query lists it. */
export interface ClaimCandidate {
  readonly runId: string;
  readonly status: RunRecord['status'];
  readonly concurrencyKey: string | null;
  /** Who held it (null: queued, parked or handed off). */
  readonly leaseOwner: string | null;
  /** When it became claimable (its not-before time, wake-up time or lease expiry). */
  readonly dueAt?: Date | null;
}

/**
 * Which of a queue's candidates (in claim order) one claim takes: at most `room` runs, runs leaving
 * the queue only while the rate window has room, and none whose concurrency key already has
 * `perKeyConcurrency` live leases (`keyRunning`, counted up as runs are picked). A candidate
 * skipped for its key does not hold back the ones after it.
 */
export function pickClaims(
  candidates: readonly ClaimCandidate[],
  limits: QueueLimits,
  budget: { readonly room: number; readonly rateRoom: number },
  keyRunning: Map<string, number>,
): ClaimCandidate[] {
  const perKey = limits.perKeyConcurrency ?? 1;
  const picked: ClaimCandidate[] = [];
  let { room, rateRoom } = budget;
  for (const candidate of candidates) {
    if (room <= 0) break;
    const first = candidate.status === 'queued';
    if (first && rateRoom <= 0) continue;
    const key = candidate.concurrencyKey;
    if (key !== null) {
      const running = keyRunning.get(key) ?? 0;
      if (running >= perKey) continue;
      keyRunning.set(key, running + 1);
    }
    picked.push(candidate);
    room--;
    if (first) rateRoom--;
  }
  return picked;
}

/** How many candidates a claim lists for `room` free slots: more than it needs, so runs held back by their key do not starve the rest. */
export function candidateWindow(room: number): number {
  return Math.min(500, Math.max(32, room * 8));
}
