import { SpineError } from '../../errors/spine-error';
import { FINAL_STATUSES, type Fence } from '../records/run-record';
import type { SignalRecord } from '../records/signal-record';
import type { SignalStore } from '../ports/signal-store.port';
import type { MemoryRuns, Writable } from './memory-runs';

/** Signals in the in-memory store: kept with their run (dropped with it), consumed once per step execution, waking a run parked for them. */
export class InMemorySignals implements SignalStore {
  private readonly signals = new Map<string, Writable<SignalRecord>[]>();
  private signalSequence = 0;

  constructor(private readonly state: MemoryRuns) {
    state.onDrop((runId) => this.signals.delete(runId));
  }

  async sendSignal(runId: string, name: string, payload: unknown, now: Date, dedupeId: string | null): Promise<SignalRecord> {
    const run = this.state.runs.get(runId)?.record;
    if (run === undefined) throw new SpineError('unknown-run', `Run "${runId}" is not in the run store; the signal "${name}" was not sent.`);
    if (FINAL_STATUSES.includes(run.status)) {
      throw new SpineError('run-finished', `Run "${runId}" of workflow "${run.workflowName}" is ${run.status}; the signal "${name}" was not sent (a completed or cancelled run takes no signals).`);
    }
    let ofRun = this.signals.get(runId);
    if (ofRun === undefined) this.signals.set(runId, (ofRun = []));
    const earlier = dedupeId === null ? undefined : ofRun.find((s) => s.dedupeId === dedupeId);
    if (earlier !== undefined) return { ...earlier };
    const signal: Writable<SignalRecord> = { signalId: ++this.signalSequence, runId, name, payload: structuredClone(payload ?? null), sentAt: now, consumedBy: null, consumedAt: null, dedupeId };
    ofRun.push(signal);
    // only the signal it waits for wakes a parked run, and only once
    if (run.status === 'waiting' && run.leaseOwner === null && run.waitingFor === name && (run.leaseExpiresAt === null || run.leaseExpiresAt > now)) run.leaseExpiresAt = now;
    return { ...signal };
  }

  async listSignals(runId: string): Promise<SignalRecord[]> {
    return (this.signals.get(runId) ?? []).map((s) => ({ ...s }));
  }

  async consumeSignal(runId: string, name: string, consumer: string, fence: Fence | null, now: Date): Promise<SignalRecord | null> {
    this.state.fence(runId, fence);
    const ofRun = this.signals.get(runId) ?? [];
    const signal = ofRun.find((s) => s.name === name && s.consumedBy === consumer) ?? ofRun.find((s) => s.name === name && s.consumedBy === null);
    if (signal === undefined) return null;
    if (signal.consumedBy === null) {
      signal.consumedBy = consumer;
      signal.consumedAt = now;
    }
    return { ...signal };
  }

  async wakeRun(runId: string, now: Date): Promise<void> {
    const run = this.state.runs.get(runId)?.record;
    if (run !== undefined && run.status === 'waiting' && run.leaseOwner === null && (run.leaseExpiresAt === null || run.leaseExpiresAt > now)) run.leaseExpiresAt = now;
  }
}
