import { hostname } from 'node:os';
import { SpineError } from '../core/errors/spine-error';
import type { WorkflowRunner } from '../core/runner/workflow-runner';
import type { WorkflowResult } from '../core/runner/workflow-result';
import { checkQueueLimits, DEFAULT_QUEUE, type ClaimedRun, type QueueLimits, type WorkerRecord } from '../core/store/records/queue-record';
import type { RunQueue } from '../core/store/ports/run-queue.port';
import type { Clock } from '../core/clock/clock.port';
import type { SchedulerOptions, WorkerLogger } from './scheduler';

export type { WorkerLogger } from './scheduler';

/** How a worker runs: which queues it serves, how many runs at once, how often it looks for work. */
export interface WorkerOptions {
  /** Queues served, in the order claims look at them (default ['default']). */
  readonly queues?: readonly string[];
  /** Runs executing at once in this process (default 8). */
  readonly concurrency?: number;
  /** How often an idle worker looks for due runs (default 1,000 ms); a run enqueued by this process, or one ending here, is looked for at once. */
  readonly pollIntervalMs?: number;
  /** Waits longer than this park the run (lease and slot released until it is due; default: the lease duration). */
  readonly parkAfterMs?: number;
  /** How often the worker's row (`core_workers`) is renewed (default 10 s). */
  readonly heartbeatIntervalMs?: number;
  /** Fire the application's schedules from this worker (default true; every worker may: each fire time is fired once). */
  readonly scheduler?: boolean | SchedulerOptions;
}

/** What a worker reports (logs): the application's logger. */

/**
 * A worker: claims due runs of its queues from the store (within each queue's limits, enforced
 * in the claim transaction across every worker on the database) and executes them with the
 * runner, up to `concurrency` at once. Claims again at once while it finds work and has room,
 * when a run ends here and when `notify` is called; else every `pollIntervalMs`.
 */
export class RunWorker {
  private readonly running = new Map<string, Promise<WorkflowResult | null>>();
  private readonly handoff = new AbortController();
  private readonly queues: readonly { readonly name: string; readonly limits: QueueLimits }[];
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly parkAfterMs: number | undefined;
  private readonly startedAt: Date;
  private stopping = false;
  private wake: (() => void) | null = null;
  private pending = false;
  private loop: Promise<void> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private claims = 0;
  /** Stops reporting the queues' depth to the metrics. */
  private unobserve: (() => void) | null = null;

  /** Claim latency for the metrics: how long each claimed run had been due (enqueued and past its not-before time, woken, or its lease expired). */
  private reportClaims(claimed: readonly ClaimedRun[], now: number): void {
    const telemetry = this.runner.telemetry;
    if (telemetry === null) return;
    const byQueue = new Map<string, number[]>();
    for (const { run, dueAt } of claimed) {
      // a handed-off run's lease was released (set to the epoch's first second): due at once, its wait unknown
      if (dueAt == null || dueAt.getTime() <= 1_000 || run.queue === null) continue;
      const list = byQueue.get(run.queue) ?? [];
      list.push(now - dueAt.getTime());
      byQueue.set(run.queue, list);
    }
    for (const [queue, waited] of byQueue) telemetry.claimed(queue, waited);
  }

  constructor(
    private readonly runner: WorkflowRunner,
    private readonly queue: RunQueue,
    private readonly workflows: () => readonly string[],
    limits: Readonly<Record<string, QueueLimits>>,
    options: WorkerOptions,
    private readonly logger: WorkerLogger,
    /** The time claims, leases and heartbeats are judged by, and the poll sleeps on (the Spine's clock). */
    private readonly clock: Clock,
  ) {
    this.startedAt = new Date(clock.now());
    const names = options.queues ?? [DEFAULT_QUEUE];
    if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string' || n.length === 0 || n.length > 255)) {
      throw new SpineError('invalid-argument', `worker.queues must be a non-empty list of queue names (got ${JSON.stringify(options.queues)}).`);
    }
    const concurrency = options.concurrency ?? 8;
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
      throw new SpineError('invalid-argument', `worker.concurrency must be a whole number ≥ 1 (got ${String(options.concurrency)}).`);
    }
    for (const [field, value] of [
      ['pollIntervalMs', options.pollIntervalMs],
      ['heartbeatIntervalMs', options.heartbeatIntervalMs],
      ['parkAfterMs', options.parkAfterMs],
    ] as const) {
      if (value !== undefined && !(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
        throw new SpineError('invalid-argument', `worker.${field} must be a number ≥ 0 (got ${String(value)}).`);
      }
    }
    for (const [name, queueLimits] of Object.entries(limits)) checkQueueLimits(name, queueLimits);
    this.queues = [...new Set(names)].map((name) => ({ name, limits: limits[name] ?? {} }));
    this.concurrency = concurrency;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 10_000;
    this.parkAfterMs = options.parkAfterMs;
  }

  /** The worker's id: its runner's lease owner (the owner of every run it executes). */
  get id(): string {
    return this.runner.owner;
  }

  /** Runs executing here now. */
  get activeRuns(): number {
    return this.running.size;
  }

  /** True while the worker sleeps between polls, not claiming and not told of a due run (its runs may be executing: see `activeRuns`). */
  get isIdle(): boolean {
    return this.wake !== null && !this.pending;
  }

  /** Claims made so far (each may take several runs). */
  get claimCount(): number {
    return this.claims;
  }

  /** Starts claiming (once). */
  start(): void {
    if (this.loop !== null || this.stopping) return;
    this.unobserve = this.runner.telemetry?.observeQueues(() => this.queue.queueStats(new Date(this.clock.now()))) ?? null;
    this.loop = this.claimLoop();
    void this.saveRow();
    this.heartbeat = setInterval(() => void this.saveRow(), this.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  /** Looks for due runs now (a run was just enqueued by this process). */
  notify(): void {
    this.pending = true;
    this.wake?.();
  }

  /**
   * Graceful stop: claims nothing more; every run executing here finishes its running step and is
   * handed off (lease released, so another worker continues it at once); waits at most
   * `timeoutMs` (default 30 s) for that, then removes the worker's row.
   */
  async stop(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.unobserve?.();
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.handoff.abort();
    this.wake?.();
    await this.loop;
    if (this.running.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.timeoutMs ?? 30_000)));
      await Promise.race([Promise.allSettled([...this.running.values()]), timeout]);
      clearTimeout(timer);
    }
    await this.queue.removeWorker(this.id).catch(() => undefined);
  }

  /** This worker as its row records it. */
  record(): WorkerRecord {
    return {
      workerId: this.id,
      hostname: hostname(),
      pid: process.pid,
      queues: this.queues.map((q) => q.name),
      workflows: [...this.workflows()],
      definitions: this.runner.definitions.held(),
      appVersion: this.runner.appVersion,
      concurrency: this.concurrency,
      running: this.running.size,
      startedAt: this.startedAt,
      heartbeatAt: new Date(this.clock.now()),
      heartbeatMs: this.heartbeatIntervalMs,
    };
  }

  private async saveRow(): Promise<void> {
    if (this.stopping) return;
    const record = this.record();
    await Promise.all([this.queue.saveWorker(record), this.runner.noteHeld(record.heartbeatAt)]).catch((error: unknown) =>
      this.logger.warn({ workerId: this.id, error: messageOf(error) }, `worker ${this.id}: saving its heartbeat failed: ${messageOf(error)}`),
    );
  }

  private async claimLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      this.pending = false;
      const free = this.concurrency - this.running.size;
      let taken = 0;
      if (free > 0) {
        try {
          const now = this.clock.now();
          const lease = this.runner.leaseDurationMs;
          const claimed = await this.queue.claimQueued({
            owner: this.id,
            queues: this.queues,
            max: free,
            now: new Date(now),
            leaseExpiresAt: new Date(now + lease),
            held: this.runner.definitions.held(),
            clock: () => this.clock.now(),
          });
          this.claims++;
          failures = 0;
          taken = claimed.length;
          if (claimed.length > 0) this.reportClaims(claimed, now);
          for (const run of claimed) this.launch(run);
        } catch (error) {
          failures++;
          this.logger.warn({ workerId: this.id, error: messageOf(error) }, `worker ${this.id}: claiming runs failed (${messageOf(error)}); trying again.`);
        }
      }
      if (this.stopping) break;
      if (taken > 0 && taken === free) continue; // there may be more due: claim again at once
      if (this.pending && free > 0 && failures === 0) continue;
      await this.idle(failures > 0 ? Math.min(30_000, this.pollIntervalMs * 2 ** Math.min(failures, 5)) : this.pollIntervalMs);
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const cancel = this.clock.setTimer(ms, done);
      function done(): void {
        cancel();
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private launch(claimed: ClaimedRun): void {
    const { runId } = claimed.run;
    const execution = this.runner
      .runClaimed(claimed, { handoffSignal: this.handoff.signal, ...(this.parkAfterMs !== undefined && { parkAfterMs: this.parkAfterMs }) })
      .catch((error: unknown) => {
        if (!(error instanceof SpineError && error.kind === 'lease-lost')) {
          this.logger.warn(
            { workerId: this.id, runId, workflow: claimed.run.workflowName, traceId: claimed.run.traceId, error: messageOf(error) },
            `worker ${this.id}: run ${runId} of ${claimed.run.workflowName} ended with an error: ${messageOf(error)}`,
          );
        }
        return null;
      })
      .finally(() => {
        this.running.delete(runId);
        this.notify(); // a slot is free
      });
    this.running.set(runId, execution);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
