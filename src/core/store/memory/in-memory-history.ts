import {
  FINAL_STATUSES,
  type CheckpointRecord,
  type CheckpointSnapshot,
  type PurgeCriteria,
  type QualityPoint,
  type QualityStepSummary,
  type RunCount,
  type RunFilter,
  type RunRecord,
  type StoredRunEvent,
} from '../records/run-record';
import { partitionKey } from '../record-limits';
import { qualityPoint } from '../quality-point';
import type { RunHistory } from '../ports/run-history.port';
import { holds, type HeldDefinitions, type UnheldRun } from '../records/held-definitions';
import { snapshot, type MemoryRuns } from './memory-runs';

/** The in-memory store's history: listings in the SQL stores' order and pages, counts, quality, checkpoints, purge. */
export class InMemoryHistory implements RunHistory {
  constructor(private readonly state: MemoryRuns) {}

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const statuses = filter.status === undefined ? null : new Set([filter.status].flat());
    const matches = [...this.state.runs.values()]
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
    for (const { record } of this.state.runs.values()) {
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
    for (const { record, steps } of this.state.runs.values()) {
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

  async listCheckpoints(runId: string): Promise<CheckpointRecord[]> {
    let executed = 0;
    const checkpoints: CheckpointRecord[] = [];
    const stored = this.state.runs.get(runId);
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
    const context = checkpoint === undefined ? undefined : this.state.runs.get(runId)?.snapshots?.get(`${step}\u0000${checkpoint.iteration}`);
    return checkpoint === undefined || context === undefined ? null : { ...checkpoint, context: structuredClone(context) };
  }

  async deleteCheckpoints(runId: string): Promise<number> {
    const stored = this.state.runs.get(runId);
    const count = stored?.snapshots?.size ?? 0;
    stored?.snapshots?.clear();
    return count;
  }

  async qualityTrend(workflow: string, step: string, since: Date): Promise<QualityPoint[]> {
    const points: QualityPoint[] = [];
    for (const { record, steps } of this.state.runs.values()) {
      if (record.workflowName !== workflow || record.startedAt < since) continue;
      for (const s of steps) {
        if (s.stepName === step && s.quality !== null && s.startedAt >= since && (s.status === 'completed' || s.status === 'failed')) {
          points.push(qualityPoint(s.runId, s.startedAt, s.quality));
        }
      }
    }
    return points.sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  async listRunEvents(runId: string, limit: number): Promise<StoredRunEvent[]> {
    return (this.state.runs.get(runId)?.events ?? []).slice(0, Math.max(0, Math.floor(limit))).map((event) => ({ ...event, payload: structuredClone(event.payload) }));
  }

  async purge(criteria: PurgeCriteria): Promise<number> {
    let purged = 0;
    const purgedRoots = new Set<string>();
    for (const [runId, stored] of this.state.runs) {
      const { record } = stored;
      if (record.parentRunId !== null) continue;
      const finished = FINAL_STATUSES.includes(record.status) || (record.status === 'failed' && criteria.keepFailed !== true);
      if (!finished || record.finishedAt === null || record.finishedAt >= criteria.before) continue;
      this.state.drop(runId, stored);
      purgedRoots.add(runId);
      purged++;
    }
    // map items go with their top-level run, never on their own
    for (const [runId, stored] of this.state.runs) if (stored.record.rootRunId !== null && purgedRoots.has(stored.record.rootRunId)) this.state.drop(runId, stored);
    return purged;
  }

  async listUnheldRuns(held: HeldDefinitions, now: Date, limit: number): Promise<UnheldRun[]> {
    return [...this.state.runs.values()]
      .filter(({ record }) => needsProcess(record, now) && !holds(held, record))
      .sort((a, b) => a.record.startedAt.getTime() - b.record.startedAt.getTime() || a.sequence - b.sequence)
      .slice(0, Math.max(0, limit))
      .map((stored) => ({ run: snapshot(stored), heldAt: this.state.heldAt.get(stored.record.workflowHash) ?? null }));
  }
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

/** Queued, parked, or running without a live lease: some process has to take the run on. */
function needsProcess(record: RunRecord, now: Date): boolean {
  if (record.status === 'queued' || record.status === 'waiting') return true;
  return record.status === 'running' && (record.leaseOwner === null || record.leaseExpiresAt === null || record.leaseExpiresAt <= now);
}
