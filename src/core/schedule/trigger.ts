import { SpineError } from '../errors/spine-error';

/**
 * What started a run: 'api' (code: run, start, enqueue), 'cli' (`spine run`), 'schedule' (a
 * schedule's fire), 'manual' (`spine schedules trigger`: a fire by hand), 'backfill' (`spine
 * backfill`: a missed or failed fire time), 'console' (the web console's Start), 'recovery' and
 * 'signal' (labels an application may give the runs it starts from its own recovery or event handlers).
 */
export type TriggerSource = 'api' | 'cli' | 'schedule' | 'manual' | 'backfill' | 'console' | 'recovery' | 'signal';

/** Every trigger source. */
export const TRIGGER_SOURCES: readonly TriggerSource[] = ['api', 'cli', 'schedule', 'manual', 'backfill', 'console', 'recovery', 'signal'];

/** What started a run, as the run records it: the source and, for a schedule's fire, which one. */
export interface RunTrigger {
  readonly source: TriggerSource;
  /** The schedule whose fire this run is (schedule, manual and backfill fires); null otherwise. */
  readonly schedule: string | null;
  /** The fire time the run is for; null when it is not a schedule's fire. */
  readonly fireTime: Date | null;
}

/** A run started by code. */
export const API_TRIGGER: RunTrigger = Object.freeze({ source: 'api', schedule: null, fireTime: null });

/** Checks a trigger source given by a caller; throws naming the known ones. */
export function checkTriggerSource(where: string, source: unknown): asserts source is TriggerSource {
  if (!TRIGGER_SOURCES.includes(source as TriggerSource)) {
    throw new SpineError('invalid-argument', `${where}: triggerSource must be one of ${TRIGGER_SOURCES.join(', ')} (got ${JSON.stringify(source)}).`);
  }
}
