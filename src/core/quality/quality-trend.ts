import { SpineError } from '../errors/spine-error';
import type { QualityMetrics } from './quality-metrics';

/** When a step's valid rate counts as degraded: below the average of its recent executions by more than `margin`. */
export interface QualityTrendOptions {
  /** How far below the recent average the valid rate must fall, as a rate (0–1; default 0.05: five points). */
  readonly margin?: number;
  /** How many earlier executions of the step (in other runs of the workflow) are averaged (default 20). */
  readonly window?: number;
  /** The fewest earlier executions before a drop counts (default 5): a new step has no trend yet. */
  readonly minRuns?: number;
  /** How far back earlier executions are read (default 30 days). */
  readonly lookbackMs?: number;
}

/** A step whose valid rate fell below its recent trend: what `onQualityDegraded` is told (and the `quality_degraded` event records). */
export interface QualityDegradation {
  readonly workflow: string;
  readonly step: string;
  readonly runId: string;
  /** This execution's valid rate. */
  readonly validRate: number;
  /** The average valid rate of the earlier executions compared against. */
  readonly trendRate: number;
  readonly margin: number;
  /** How many earlier executions the trend averages. */
  readonly runs: number;
  /** Everything the step reported. */
  readonly quality: QualityMetrics;
}

/** What the trend needs of an earlier execution (a store's `QualityPoint`). */
export interface TrendPoint {
  readonly recordCount: number;
  readonly validRate: number;
}

/** Called when a step's quality degrades (the design's `send_alert` on degradation); a hook that throws or rejects is logged, never fails the run. */
export type QualityDegradedHook = (degradation: QualityDegradation) => void | Promise<void>;

export const DEFAULT_QUALITY_TREND: Required<QualityTrendOptions> = Object.freeze({ margin: 0.05, window: 20, minRuns: 5, lookbackMs: 30 * 24 * 3_600_000 });

/** The options with their defaults, checked; throws naming the field at fault (`where` says whose options). */
export function qualityTrendOptions(options: QualityTrendOptions | undefined, where: string): Required<QualityTrendOptions> {
  if (options === undefined) return DEFAULT_QUALITY_TREND;
  if (options === null || typeof options !== 'object') throw new SpineError('invalid-argument', `${where}.qualityTrend must be an object (got ${String(options)}).`);
  const resolved = { ...DEFAULT_QUALITY_TREND, ...options };
  const problems: string[] = [];
  if (!(typeof resolved.margin === 'number' && resolved.margin > 0 && resolved.margin <= 1)) problems.push(`margin must be a rate above 0 and at most 1 (got ${String(options.margin)})`);
  for (const field of ['window', 'minRuns'] as const) {
    if (!(Number.isInteger(resolved[field]) && resolved[field] >= 1 && resolved[field] <= 10_000)) problems.push(`${field} must be a whole number from 1 to 10,000 (got ${String(options[field])})`);
  }
  if (problems.length === 0 && resolved.minRuns > resolved.window) problems.push(`minRuns (${resolved.minRuns}) must not exceed window (${resolved.window})`);
  if (!(typeof resolved.lookbackMs === 'number' && Number.isFinite(resolved.lookbackMs) && resolved.lookbackMs > 0)) {
    problems.push(`lookbackMs must be a number of milliseconds above 0 (got ${String(options.lookbackMs)})`);
  }
  if (problems.length > 0) throw new SpineError('invalid-argument', `${where}.qualityTrend: ${problems.join('; ')}.`);
  return Object.freeze(resolved);
}

/**
 * The trend `current` is compared against: the average valid rate of the last `window` earlier
 * executions (points of other runs, oldest first), and whether `current` fell below it by more
 * than `margin`; null while there are fewer than `minRuns` of them, or when the step handled no records.
 */
export function degradationOf(current: QualityMetrics, earlier: readonly TrendPoint[], options: Required<QualityTrendOptions>): { readonly trendRate: number; readonly runs: number } | null {
  if (current.recordCount === 0) return null;
  const recent = earlier.filter((p) => p.recordCount > 0).slice(-options.window);
  if (recent.length < options.minRuns) return null;
  const trendRate = recent.reduce((sum, p) => sum + p.validRate, 0) / recent.length;
  // a tolerance for floating point: a drop of exactly the margin is not past it
  return current.validRate < trendRate - options.margin - 1e-12 ? { trendRate, runs: recent.length } : null;
}
