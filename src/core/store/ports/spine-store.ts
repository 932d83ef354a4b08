import { SpineError } from '../../errors/spine-error';
import type { DefinitionStore } from './definition-store.port';
import type { RunHistory } from './run-history.port';
import type { RunJournal } from './run-journal.port';
import type { RunLeases } from './run-leases.port';
import type { RunQueue } from './run-queue.port';
import type { ScheduleStore } from './schedule-store.port';
import type { SignalStore } from './signal-store.port';
import type { Wakeups } from './wakeups.port';

/** A store that offers every capability: both built-in stores do. `spineStore(store)` bundles one for `Spine.create({ store })`. */
export type RunStore = RunJournal & RunLeases & RunHistory & RunQueue & ScheduleStore & SignalStore & DefinitionStore;

/**
 * Where a Spine records everything, by capability. Every store offers the journal, leases, history
 * and definitions; one that cannot offer a queue, schedules or signals says so with `null`, and
 * `Spine.create` refuses a workflow that needs it (naming the workflow, the step and the store)
 * before anything runs.
 */
export interface SpineStore {
  /** What the store is, for messages ('memory', 'sqlite', 'mysql', or your own). */
  readonly name: string;
  /** True when records outlive the process (a database). */
  readonly durable: boolean;
  readonly journal: RunJournal;
  readonly leases: RunLeases;
  readonly history: RunHistory;
  readonly definitions: DefinitionStore;
  readonly queue: RunQueue | null;
  readonly schedules: ScheduleStore | null;
  readonly signals: SignalStore | null;
  /** Wake-ups after writes (optional: without them every waiter polls). */
  readonly wakeups?: Wakeups | null;
}

/** The optional capabilities of a `SpineStore`. */
export type StoreCapability = 'queue' | 'schedules' | 'signals';

const CAPABILITY_NAMES: Record<StoreCapability, string> = { queue: 'a run queue', schedules: 'schedules', signals: 'signals' };

/** Bundles a store that offers every capability (each part is the store itself). */
export function spineStore(store: RunStore, options: { readonly name: string; readonly durable: boolean }): SpineStore {
  const wakeups = (store as { readonly wakeups?: Wakeups | null }).wakeups ?? null;
  return Object.freeze({ name: options.name, durable: options.durable, journal: store, leases: store, history: store, definitions: store, queue: store, schedules: store, signals: store, wakeups });
}

/** True when `value` is a `SpineStore` bundle rather than one object offering every port. */
export function isSpineStore(value: object): value is SpineStore {
  return 'journal' in value && 'leases' in value && 'history' in value;
}

/** The store's `capability`, or a clear error naming what needed it when the store has none. */
export function capabilityOf<C extends StoreCapability>(store: SpineStore, capability: C, neededBy: string): NonNullable<SpineStore[C]> {
  const part = store[capability];
  if (part === null) {
    throw new SpineError('invalid-argument', `${neededBy} needs ${CAPABILITY_NAMES[capability]}, which the ${store.name} store does not offer (its ${capability} is null); use a store that does.`);
  }
  return part as NonNullable<SpineStore[C]>;
}

/** A `SpineStore` for either form a caller may give: a bundle as it is, or one object offering every port (its `durable` flag read when it has one). */
export function asSpineStore(store: RunStore | SpineStore): SpineStore {
  if (isSpineStore(store)) return store;
  const durable = (store as { readonly durable?: unknown }).durable === true;
  const named = (store as { readonly storeName?: unknown }).storeName;
  return spineStore(store, { name: typeof named === 'string' ? named : store.constructor.name, durable });
}
