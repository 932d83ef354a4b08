/** How long a run may keep the event loop to itself before it lets timers and I/O run. */
const SLICE_MS = 40;
let sliceStartedAt = performance.now();

/**
 * Lets the event loop run when synchronous work (synchronous steps committed to the synchronous
 * SQLite driver, thousands of map items) has held it for a slice: heartbeats, cancellations and
 * HTTP handlers keep running. Returns undefined (no promise) while the slice lasts.
 */
export function maybeYieldToEventLoop(): Promise<void> | undefined {
  if (pending !== null) return pending;
  const now = performance.now();
  if (now - sliceStartedAt < SLICE_MS) return undefined;
  // every run that yields in this slice waits for the same turn: they go on side by side (their
  // step commits share a group commit) instead of one per turn of the loop
  pending = new Promise<void>((resolve) =>
    setImmediate(() => {
      sliceStartedAt = performance.now();
      pending = null;
      resolve();
    }),
  );
  return pending;
}

/** The turn of the event loop the runs that yielded wait for (null when none is pending). */
let pending: Promise<void> | null = null;
