import { Cron } from 'croner';
import type { CronCompiler, FireTimes } from '../core/schedule/schedule';

/**
 * Cron expressions through croner (time zones and DST handled by it: a time skipped by a spring
 * change fires at the first time after it, a time repeated in autumn fires once). Five fields, or
 * six with seconds first; names ('FRI', 'JAN'), ranges, steps, 'L' and '#' as croner reads them.
 */
export const compileCron: CronCompiler = (cron: string, timezone: string): FireTimes => {
  // paused and without a callback: croner sets no timer, it only computes times
  const job = new Cron(cron, { timezone, paused: true });
  return {
    next: (after: Date): Date | null => job.nextRun(after),
    previous: (before: Date): Date | null => job.previousRuns(1, before)[0] ?? null,
  };
};
