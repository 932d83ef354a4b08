/**
 * Something that makes waiting work due at once instead of at the next poll: a queue got runs
 * (or a run of it became due: woken by a signal, settled children, a released lease; `queue` null
 * when the store does not know which queue), a run got a signal, a run finished, a run was asked
 * to cancel, the schedules changed.
 */
export type Wakeup =
  | { readonly kind: 'queue'; readonly queue: string | null }
  | { readonly kind: 'signal'; readonly runId: string }
  | { readonly kind: 'finished'; readonly runId: string }
  | { readonly kind: 'cancel'; readonly runId: string }
  | { readonly kind: 'schedules' };

/**
 * Wake-ups of a store: this process's own writes always; on a database that can tell other
 * processes (PostgreSQL's LISTEN/NOTIFY), theirs too (`crossProcess`). A lost wake-up costs only
 * time: every waiter still polls, at its own interval.
 */
export interface Wakeups {
  /** True when other processes' writes reach this process's listeners at once. */
  readonly crossProcess: boolean;
  /** Calls `listener` for every wake-up from now on; returns the unsubscribe. */
  subscribe(listener: (wakeup: Wakeup) => void): () => void;
  /** Lets go of what the wake-ups hold (a listening connection); called when the Spine closes. */
  close(): Promise<void>;
}
