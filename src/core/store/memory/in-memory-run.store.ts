import type { DefinitionStore } from '../ports/definition-store.port';
import type { RunHistory } from '../ports/run-history.port';
import type { RunJournal } from '../ports/run-journal.port';
import type { RunLeases } from '../ports/run-leases.port';
import type { RunQueue } from '../ports/run-queue.port';
import type { ScheduleStore } from '../ports/schedule-store.port';
import type { SignalStore } from '../ports/signal-store.port';
import { InMemoryDefinitions } from './in-memory-definitions';
import { InMemoryHistory } from './in-memory-history';
import { InMemoryJournal } from './in-memory-journal';
import { InMemoryLeases } from './in-memory-leases';
import { InMemoryQueue } from './in-memory-queue';
import { InMemorySchedules } from './in-memory-schedules';
import { InMemorySignals } from './in-memory-signals';
import { MemoryRuns, type MemoryRunsOptions } from './memory-runs';
import { emitWakeups, WakeBus } from '../wake-bus';

/** Every member of a port, listed (the compiler refuses a list that misses one). */
type AllOf<P, K extends readonly (keyof P)[]> = Exclude<keyof P, K[number]> extends never ? K : readonly [`missing: ${Exclude<keyof P, K[number]> & string}`];
const allOf =
  <P>() =>
  <const K extends readonly (keyof P)[]>(keys: AllOf<P, K>): readonly (keyof P)[] =>
    keys as readonly (keyof P)[];

const JOURNAL = allOf<RunJournal>()([
  'createRun',
  'recordStep',
  'recordProgress',
  'checkStorable',
  'reopenRun',
  'recordInterruption',
  'finishRun',
  'recordEvents',
  'recordMapItem',
  'getRun',
  'getRunSteps',
  'listMapItems',
  'moveRun',
]);
const LEASES = allOf<RunLeases>()(['claimRun', 'renewLease', 'releaseLease', 'requestCancel', 'listExpiredRuns']);
const HISTORY = allOf<RunHistory>()(['listRuns', 'listCheckpoints', 'getCheckpoint', 'deleteCheckpoints', 'qualityTrend', 'countRuns', 'listQualitySteps', 'listRunEvents', 'purge', 'listUnheldRuns']);
const QUEUE = allOf<RunQueue>()(['claimQueued', 'enqueueRuns', 'parkRun', 'settleChild', 'requeueRuns', 'listChildren', 'cancelChildren', 'queueStats', 'saveWorker', 'removeWorker', 'listWorkers']);
const SCHEDULES = allOf<ScheduleStore>()(['databaseTime', 'saveSchedules', 'listScheduleStates', 'setSchedulePaused', 'fireSchedule', 'moveScheduleCursor', 'listFires', 'latestFires']);
const SIGNALS = allOf<SignalStore>()(['sendSignal', 'listSignals', 'consumeSignal', 'wakeRun']);
const DEFINITIONS = allOf<DefinitionStore>()(['saveDefinition', 'saveStoredDefinition', 'listStoredDefinitions', 'markHeld']);

/** Copies a part's members onto the store as its own (bound, and replaceable: a test may wrap one). */
function expose<P extends object>(store: object, part: P, members: readonly (keyof P)[]): void {
  for (const member of members) {
    const value = part[member];
    Object.defineProperty(store, member, { value: typeof value === 'function' ? value.bind(part) : value, writable: true, enumerable: false, configurable: true });
  }
}

// The class offers every port through the members `expose` gives it in the constructor.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- each member is assigned in the constructor (the lists above are checked complete)
export interface InMemoryRunStore extends RunJournal, RunLeases, RunHistory, RunQueue, ScheduleStore, SignalStore, DefinitionStore {}

/**
 * Keeps runs in this process's memory (tests, ephemeral runs), with the SQL stores' semantics
 * (fencing, filters, keyset pages, map item rows, events, queue limits, schedules, signals),
 * composed of one part per capability over shared runs. Bounded by `maxRuns` and
 * `maxStepRecords`: beyond them the runs that finished first are dropped (running runs never are).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class InMemoryRunStore {
  /** What the store is, in messages. */
  readonly storeName = 'memory';
  /** Records live as long as the process. */
  readonly durable = false;
  /** Wake-ups after its writes (this process is the only one there is). */
  readonly wakeups: WakeBus;

  /** `clock` is the time leases, queues and schedules are judged by (default the system clock; `Spine.create` gives its own). */
  constructor(options: MemoryRunsOptions = {}) {
    // the parts are the store's only through the members exposed here (a SpineStore bundles the store itself, so a wrapped member holds)
    const state = new MemoryRuns(options);
    expose(this, new InMemoryJournal(state), JOURNAL);
    expose(this, new InMemoryLeases(state), LEASES);
    expose(this, new InMemoryHistory(state), HISTORY);
    expose(this, new InMemoryQueue(state), QUEUE);
    expose(this, new InMemorySchedules(state), SCHEDULES);
    expose(this, new InMemorySignals(state), SIGNALS);
    expose(this, new InMemoryDefinitions(state), DEFINITIONS);
    this.wakeups = emitWakeups(this, new WakeBus());
  }
}
