import { SpineError } from '../errors/spine-error';
import type { RunFilter, RunOutcome, RunProgress, RunRecord, StepRecord } from './run-record';
import type { NewRun, RunStore } from './run-store.port';

interface StoredRun {
  record: RunRecord;
  readonly steps: StepRecord[];
  readonly sequence: number;
}

/** Keeps runs in this process's memory (tests, ephemeral runs). Bounded by `maxRuns` (oldest finished runs go first). */
export class InMemoryRunStore implements RunStore {
  private readonly runs = new Map<string, StoredRun>();
  private readonly byIdempotencyKey = new Map<string, string>();
  private sequence = 0;

  private readonly maxRuns: number;

  /** `maxRuns` bounds memory in long-lived processes (default 10,000; running runs are never dropped). */
  constructor(options: { readonly maxRuns?: number } = {}) {
    this.maxRuns = options.maxRuns ?? 10_000;
  }

  async createRun(run: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    if (run.idempotencyKey !== null) {
      const existing = this.byIdempotencyKey.get(run.idempotencyKey);
      if (existing !== undefined) return { run: this.runs.get(existing)!.record, created: false };
    }
    if (this.runs.has(run.runId)) {
      throw new SpineError('invalid-argument', `Run "${run.runId}" already exists; pick another run id or resume that run.`);
    }
    const record: RunRecord = {
      ...run,
      status: 'running',
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
    };
    this.runs.set(run.runId, { record, steps: [], sequence: this.sequence++ });
    if (run.idempotencyKey !== null) this.byIdempotencyKey.set(run.idempotencyKey, run.runId);
    this.evict();
    return { run: record, created: true };
  }

  async recordStep(step: StepRecord, progress: RunProgress): Promise<void> {
    const stored = this.stored(step.runId);
    stored.steps.push(step);
    stored.record = { ...stored.record, ...progress };
  }

  async finishRun(runId: string, outcome: RunOutcome): Promise<void> {
    const stored = this.stored(runId);
    stored.record = { ...stored.record, ...outcome };
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    return this.runs.get(runId)?.record ?? null;
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const statuses = filter.status === undefined ? null : new Set([filter.status].flat());
    const matches = [...this.runs.values()]
      .filter(({ record }) =>
        (filter.workflow === undefined || record.workflowName === filter.workflow) &&
        (statuses === null || statuses.has(record.status)) &&
        (filter.batchId === undefined || record.batchId === filter.batchId) &&
        (filter.since === undefined || record.startedAt >= filter.since),
      )
      .sort((a, b) => b.record.startedAt.getTime() - a.record.startedAt.getTime() || b.sequence - a.sequence)
      .map(({ record }) => record);
    return filter.limit === undefined ? matches : matches.slice(0, filter.limit);
  }

  async getRunSteps(runId: string): Promise<StepRecord[]> {
    return [...(this.runs.get(runId)?.steps ?? [])];
  }

  private stored(runId: string): StoredRun {
    const stored = this.runs.get(runId);
    if (stored === undefined) throw new SpineError('unknown-run', `Run "${runId}" is not in this store.`);
    return stored;
  }

  /** Drops the oldest finished runs beyond `maxRuns`. */
  private evict(): void {
    const max = this.maxRuns;
    if (this.runs.size <= max) return;
    for (const [runId, stored] of this.runs) {
      if (this.runs.size <= max) break;
      if (stored.record.finishedAt === null) continue;
      this.runs.delete(runId);
      if (stored.record.idempotencyKey !== null) this.byIdempotencyKey.delete(stored.record.idempotencyKey);
    }
  }
}
