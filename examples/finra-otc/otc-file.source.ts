import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject, injectable } from 'inversify';
import { StepError, ErrorCategory } from 'spine-orchestration';
import { exampleDataDir } from '../example.database';
import { weeklyFileName, type Tier } from './otc.format';

/** One weekly file as read: its path, text and checksum. */
export interface OtcWeeklyFile {
  readonly path: string;
  readonly text: string;
  readonly checksum: string;
}

/** Injection token of the directory the weekly files are read from. */
export const FINRA_OTC_DATA_DIR = Symbol.for('finra-otc:data-dir');

/** Where the weekly files are: `FINRA_OTC_DATA_DIR`, else the sample shipped with the example. */
export function defaultDataDir(): string {
  return exampleDataDir('FINRA_OTC_DATA_DIR', __dirname, 'finra-otc', 'weekly');
}

/** Reads FINRA OTC weekly files from a directory (the example's stand-in for FINRA's download API). */
@injectable()
export class OtcFileSource {
  constructor(@inject(FINRA_OTC_DATA_DIR) readonly dataDir: string) {}

  /**
   * The file of one week and tier. `failWeek` simulates the source being down for that week
   * (a transient error: retried, then the step fails and the run can be resumed).
   */
  read(weekEnding: string, tier: Tier, failWeek?: string): OtcWeeklyFile {
    if (failWeek !== undefined && failWeek !== '' && failWeek === weekEnding) {
      throw new StepError(`FINRA OTC source unavailable for week ${weekEnding} (${tier}) — simulated by fail_week=${failWeek}`, ErrorCategory.TRANSIENT);
    }
    const path = join(this.dataDir, weeklyFileName(weekEnding, tier));
    if (!existsSync(path)) {
      throw new StepError(`no FINRA OTC file for week ${weekEnding} (${tier}) at ${path}; weeks available: ${this.weeks().join(', ') || 'none'}`, ErrorCategory.VALIDATION);
    }
    const text = readFileSync(path, 'utf8');
    return { path, text, checksum: createHash('sha256').update(text).digest('hex') };
  }

  /** The weeks the directory has files for, oldest first. */
  weeks(): string[] {
    if (!existsSync(this.dataDir)) return [];
    return [
      ...new Set(
        readdirSync(this.dataDir)
          .map((f) => /^(\d{4}-\d{2}-\d{2})_/.exec(f)?.[1])
          .filter((w): w is string => w !== undefined),
      ),
    ].sort();
  }
}
