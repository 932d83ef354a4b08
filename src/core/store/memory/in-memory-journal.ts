import type { RunEvent } from '../../runner/run-event';
import type { Fence, Fenced, LostExecutions, MapItemRecord, RunCounters, RunOutcome, RunProgress, RunRecord, StepCommit, StepRecord } from '../records/run-record';
import { FINAL_STATUSES } from '../records/run-record';
import type { CreateRunOutcome, NewRun, RunMove } from '../records/store-writes';
import type { RunJournal } from '../ports/run-journal.port';
import { applyCounters, snapshot, type MemoryRuns } from './memory-runs';

/** The in-memory store's journal: a run's row, steps, progress, events and map items, fenced as the SQL stores' are. */
export class InMemoryJournal implements RunJournal {
  constructor(private readonly state: MemoryRuns) {}

  async createRun(run: NewRun): Promise<CreateRunOutcome> {
    return this.state.insert(run);
  }

  recordStep(step: StepRecord, progress: RunProgress): StepCommit {
    const stored = this.state.stored(step.runId);
    const claimed = this.state.fence(step.runId, progress.fence) ?? stored;
    stored.steps.push(step);
    this.state.stepRecords++;
    if (progress.snapshot !== null) (stored.snapshots ??= new Map()).set(`${step.stepName}\u0000${step.iteration}`, structuredClone(progress.snapshot));
    // the status stays as create / reopen / finish set it (as in the SQL stores)
    applyCounters(stored.record, progress);
    return claimed.record.cancelRequested ? 'cancel-requested' : 'recorded';
  }

  async recordProgress(runId: string, progress: RunCounters & Fenced): Promise<void> {
    const record = this.state.runs.get(runId)?.record;
    // a stale execution's counters are not the run's: the epoch guards a top-level run (an item's run has no claim of its own)
    if (record === undefined || (progress.fence !== null && progress.fence.runId === runId && record.leaseEpoch !== progress.fence.epoch)) return;
    applyCounters(record, progress);
  }

  /** Memory keeps any value a step returns: nothing is refused for its form. */
  checkStorable(): string | null {
    return null;
  }

  async reopenRun(runId: string, params: Readonly<Record<string, unknown>>, fence: Fence | null, lost: LostExecutions): Promise<void> {
    const { record } = this.state.stored(runId);
    this.state.fence(runId, fence);
    record.params = params;
    record.status = 'running';
    record.finishedAt = null;
    record.durationMs = null;
    record.errorStep = null;
    record.error = null;
    record.errorCategory = null;
    record.lostExecutions = lost.count;
    record.lostStep = lost.step;
    this.state.reopened(runId);
  }

  async recordInterruption(runId: string, fence: Fence | null, step: string | null, error: string): Promise<void> {
    const stored = this.state.runs.get(runId);
    if (stored === undefined) return;
    this.state.fence(runId, fence);
    stored.record.errorStep = step;
    stored.record.error = error;
  }

  async finishRun(runId: string, outcome: RunOutcome, events: readonly RunEvent[] = []): Promise<void> {
    const stored = this.state.stored(runId);
    this.state.fence(runId, outcome.fence);
    // the run's unsaved events go with its finish, as a database writes them in the finish's transaction
    this.recordEvents(events, null);
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
    this.state.finished(runId);
  }

  recordEvents(events: readonly RunEvent[], fence: Fence | null): void {
    const first = events[0];
    if (first === undefined) return;
    if (fence !== null) this.state.fence(first.runId, fence);
    for (const event of events) {
      const stored = this.state.runs.get(event.runId);
      if (stored === undefined) continue;
      // run id, trace id and workflow are the run's; type, step, attempt and time are kept apart (as in the events table)
      const { type, runId: _run, step, attempt, timestamp, traceId: _trace, workflow: _workflow, ...payload } = event;
      (stored.events ??= []).push({ id: this.state.nextEventId(), type, step: step ?? null, attempt: attempt ?? null, payload: structuredClone(payload), at: new Date(timestamp) });
    }
  }

  /** Synchronous: a map of a million items in memory waits for no promise per item. */
  recordMapItem(item: MapItemRecord, fence: Fence | null): void {
    const stored = this.state.stored(item.runId);
    this.state.fence(item.runId, fence);
    // kept as given (an item's output is a step output, deep-frozen when it entered the context; reads copy it);
    // an item recorded before (it failed, and ran again) is replaced
    const items = (stored.items ??= new Map());
    let ofStep = items.get(item.stepName)?.get(item.iteration);
    if (ofStep === undefined) {
      const ofName = items.get(item.stepName) ?? new Map<number, Map<number, MapItemRecord>>();
      items.set(item.stepName, ofName);
      ofName.set(item.iteration, (ofStep = new Map()));
    }
    if (!ofStep.has(item.index)) this.state.stepRecords++; // item rows count toward maxStepRecords as step rows do
    ofStep.set(item.index, item);
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const stored = this.state.runs.get(runId);
    return stored === undefined ? null : snapshot(stored);
  }

  async getRunSteps(runId: string): Promise<StepRecord[]> {
    return [...(this.state.runs.get(runId)?.steps ?? [])];
  }

  async listMapItems(runId: string, step?: string, iteration?: number): Promise<MapItemRecord[]> {
    const one = step !== undefined && iteration !== undefined;
    return [...(this.state.runs.get(runId)?.items?.values() ?? [])]
      .flatMap((ofName) => [...ofName.values()].flatMap((ofStep) => [...ofStep.values()]))
      .filter((item) => !one || (item.stepName === step && item.iteration === iteration))
      .sort((a, b) => (a.stepName < b.stepName ? -1 : a.stepName > b.stepName ? 1 : a.iteration - b.iteration || a.index - b.index))
      .map((item) => ({ ...item, output: structuredClone(item.output) }));
  }

  async moveRun(runId: string, move: RunMove, now: Date): Promise<RunRecord | null> {
    const stored = this.state.runs.get(runId);
    if (stored === undefined) return null;
    const record = stored.record;
    if (FINAL_STATUSES.includes(record.status) || record.workflowHash !== move.fromHash) return null;
    if (
      move.fence !== null
        ? record.leaseOwner !== move.fence.owner || record.leaseEpoch !== move.fence.epoch
        : record.leaseOwner !== null && record.leaseExpiresAt !== null && record.leaseExpiresAt > now
    )
      return null;
    stored.steps.forEach((step, i) => {
      const renamed = move.renames[step.stepName];
      if (renamed !== undefined) stored.steps[i] = { ...step, stepName: renamed };
    });
    if (stored.items !== undefined) {
      const items = stored.items;
      const moved = [...items].map(([name, byIteration]) => {
        const renamed = move.renames[name] ?? name;
        for (const ofIteration of byIteration.values()) for (const [index, item] of ofIteration) ofIteration.set(index, { ...item, stepName: renamed });
        return [renamed, byIteration] as const;
      });
      items.clear();
      for (const [name, byIteration] of moved) items.set(name, byIteration);
    }
    record.workflowVersion = move.to.version;
    record.workflowHash = move.to.hash;
    record.totalSteps = move.to.totalSteps;
    if (move.fence === null) record.leaseEpoch++;
    return snapshot(stored);
  }
}
