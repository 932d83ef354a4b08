/** How long a run may keep the event loop to itself before it lets timers and I/O run. */
const SLICE_MS = 40;
let sliceStartedAt = performance.now();

/**
 * Lets the event loop run when synchronous work (synchronous steps committed to the synchronous
 * SQLite driver, thousands of map items) has held it for a slice: heartbeats, cancellations and
 * HTTP handlers keep running. Returns undefined (no promise) while the slice lasts.
 */
export function maybeYieldToEventLoop(): Promise<void> | undefined {
  const now = performance.now();
  if (now - sliceStartedAt < SLICE_MS) return undefined;
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      sliceStartedAt = performance.now();
      resolve();
    }),
  );
}
