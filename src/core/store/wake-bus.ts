import type { Wakeup, Wakeups } from './ports/wakeups.port';

/** Wake-ups within one process: a store emits them after its writes commit; listeners are called at once. */
export class WakeBus implements Wakeups {
  readonly crossProcess: boolean = false;
  private readonly listeners = new Set<(wakeup: Wakeup) => void>();

  subscribe(listener: (wakeup: Wakeup) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.firstListener();
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0) this.lastListenerGone();
    };
  }

  /** Tells this process's listeners (a listener that throws is not the writer's problem: it is left out). */
  emit(wakeup: Wakeup): void {
    for (const listener of this.listeners) {
      try {
        listener(wakeup);
      } catch {
        // a wake-up is a hint: the waiter polls anyway
      }
    }
  }

  /** True while someone listens. */
  get listening(): boolean {
    return this.listeners.size > 0;
  }

  /** Lets go of what the bus holds (a listening connection); nothing for a bus within one process. */
  async close(): Promise<void> {}

  /** Hooks for a bus that also listens to other processes: start and stop that listening. */
  protected firstListener(): void {}
  protected lastListenerGone(): void {}
}

/** A store method's arguments and what it resolved to. */
type Call = { readonly args: readonly unknown[]; readonly result: unknown };

const ANY_QUEUE: Wakeup = { kind: 'queue', queue: null };

/** The store writes that make waiting work due, and the wake-ups each gives once it committed. */
const WAKES: Readonly<Record<string, (call: Call) => readonly Wakeup[]>> = {
  createRun: ({ args }) => {
    const queue = (args[0] as { readonly enqueue?: { readonly queue: string } | null }).enqueue?.queue;
    return queue === undefined ? [] : [{ kind: 'queue', queue }];
  },
  enqueueRuns: ({ args, result }) => {
    if (Number(result) <= 0) return [];
    const queues = new Set((args[0] as readonly { readonly enqueue?: { readonly queue: string } | null }[]).map((run) => run.enqueue?.queue ?? null));
    return [...queues].map((queue) => ({ kind: 'queue', queue }));
  },
  requeueRuns: () => [ANY_QUEUE],
  wakeRun: () => [ANY_QUEUE],
  settleChild: () => [ANY_QUEUE],
  releaseLease: () => [ANY_QUEUE],
  moveRun: () => [ANY_QUEUE],
  fireSchedule: ({ result }) => ((result as { readonly fired?: boolean }).fired === true ? [ANY_QUEUE] : []),
  finishRun: ({ args }) => [{ kind: 'finished', runId: String(args[0]) }],
  requestCancel: ({ args }) => [{ kind: 'cancel', runId: String(args[0]) }],
  sendSignal: ({ args }) => [{ kind: 'signal', runId: String(args[0]) }, ANY_QUEUE],
  saveSchedules: () => [{ kind: 'schedules' }],
  setSchedulePaused: () => [{ kind: 'schedules' }],
};

/**
 * Makes `store`'s writes emit their wake-ups on `bus` once they resolved (committed): the members
 * are wrapped on the instance, so the store's own code stays as it is. Returns the bus.
 */
export function emitWakeups<B extends WakeBus>(store: object, bus: B): B {
  for (const [member, wakes] of Object.entries(WAKES)) {
    const method = (store as Record<string, unknown>)[member];
    if (typeof method !== 'function') continue;
    const bound = method.bind(store) as (...args: unknown[]) => Promise<unknown>;
    const wrapped = async (...args: unknown[]): Promise<unknown> => {
      const result = await bound(...args);
      for (const wakeup of wakes({ args, result })) bus.emit(wakeup);
      return result;
    };
    Object.defineProperty(store, member, { value: wrapped, writable: true, enumerable: false, configurable: true });
  }
  return bus;
}
