/** How often a signal wait of a run executing in place looks at the store (a signal sent from this process wakes it at once). */
export const SIGNAL_POLL_MS = 1_000;

/** The wake-up time of a run parked for a signal without a deadline (a signal makes it due). */
export const NO_DEADLINE = Date.UTC(9999, 0, 1);

/** The signal an 'approve' quality gate of `step` waits for. */
export function approvalSignal(step: string): string {
  return `approval:${step}`;
}
