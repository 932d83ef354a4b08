import type { StepEvent } from '../result/step-result';

/** At most this many events per step result. */
export const MAX_STEP_EVENTS = 100;
/** At most this many bytes of JSON for all the events of one step result. */
export const MAX_STEP_EVENT_BYTES = 64 * 1024;

/**
 * Why a step result's events cannot be kept (too many, too large, not JSON), or null when they
 * can. The step then fails with VALIDATION naming the bound: events are logs, not a data channel.
 */
export function checkStepEvents(step: string, events: readonly StepEvent[]): string | null {
  if (events.length === 0) return null;
  if (!Array.isArray(events)) return `step "${step}" returned events that are not an array`;
  if (events.length > MAX_STEP_EVENTS) {
    return `step "${step}" returned ${events.length} events; a step result carries at most ${MAX_STEP_EVENTS} (put bulk data in the step's output or your own tables)`;
  }
  let bytes = 0;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    if (event === null || typeof event !== 'object' || Array.isArray(event)) return `step "${step}": event ${i} is not an object (got ${JSON.stringify(event)})`;
    let json: string;
    try {
      json = JSON.stringify(event);
    } catch (error) {
      return `step "${step}": event ${i} cannot be written as JSON (${error instanceof Error ? error.message : String(error)})`;
    }
    bytes += Buffer.byteLength(json);
    if (bytes > MAX_STEP_EVENT_BYTES) {
      return `step "${step}" returned events of more than ${MAX_STEP_EVENT_BYTES / 1024} KiB of JSON (past it at event ${i}); keep events small (put bulk data in the step's output)`;
    }
  }
  return null;
}
