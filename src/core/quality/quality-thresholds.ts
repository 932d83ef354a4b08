import { QualityMetrics } from './quality-metrics';

/** Limits a step's quality metrics must meet; every field is optional. */
export interface QualityThresholdsInit {
  readonly minValidRate?: number;
  readonly maxNullRate?: number;
  readonly minRecordCount?: number;
  readonly maxRecordCount?: number;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(4).replace(/0+$/, ''));

/** A quality gate: `check(metrics)` lists every violated limit. Immutable. */
export class QualityThresholds {
  readonly minValidRate?: number;
  readonly maxNullRate?: number;
  readonly minRecordCount?: number;
  readonly maxRecordCount?: number;

  constructor(init: QualityThresholdsInit = {}) {
    const problems = QualityThresholds.problemsOf(init);
    if (problems.length > 0) throw new RangeError(`Invalid quality thresholds: ${problems.join('; ')}`);
    if (init.minValidRate !== undefined) this.minValidRate = init.minValidRate;
    if (init.maxNullRate !== undefined) this.maxNullRate = init.maxNullRate;
    if (init.minRecordCount !== undefined) this.minRecordCount = init.minRecordCount;
    if (init.maxRecordCount !== undefined) this.maxRecordCount = init.maxRecordCount;
    Object.freeze(this);
  }

  /** Thresholds from thresholds or their plain description. */
  static from(value: QualityThresholds | QualityThresholdsInit): QualityThresholds {
    return value instanceof QualityThresholds ? value : new QualityThresholds(value);
  }

  /**
   * Thresholds from a step's config (the design's `QualityThresholds.from_config(config)`): the
   * limits under `quality_thresholds`, `qualityThresholds` or `quality` when one of those is an
   * object, else at the top level; each in the design's spelling (`min_valid_rate`) or this one's
   * (`minValidRate`). Other keys are left alone. Throws naming a limit that is not a number, a limit
   * given twice, or one out of range.
   */
  static fromConfig(config: Readonly<Record<string, unknown>> | null | undefined): QualityThresholds {
    if (config === null || config === undefined) return new QualityThresholds();
    if (typeof config !== 'object' || Array.isArray(config)) throw new TypeError(`QualityThresholds.fromConfig: config must be an object (got ${Array.isArray(config) ? 'an array' : typeof config})`);
    const nested = ['quality_thresholds', 'qualityThresholds', 'quality'].map((key) => config[key]).find((v) => v !== null && typeof v === 'object' && !Array.isArray(v));
    const source = (nested ?? config) as Readonly<Record<string, unknown>>;
    const init: Record<string, number> = {};
    const problems: string[] = [];
    for (const [camel, snake] of [
      ['minValidRate', 'min_valid_rate'],
      ['maxNullRate', 'max_null_rate'],
      ['minRecordCount', 'min_record_count'],
      ['maxRecordCount', 'max_record_count'],
    ] as const) {
      const given = [camel, snake].filter((key) => source[key] !== undefined && source[key] !== null);
      if (given.length === 2) problems.push(`${snake} is given twice (as ${snake} and ${camel}); give it once`);
      if (given.length === 0) continue;
      const value = source[given[0]!];
      if (typeof value !== 'number') problems.push(`${given[0]} must be a number (got ${JSON.stringify(value)})`);
      else init[camel] = value;
    }
    problems.push(...QualityThresholds.problemsOf(init));
    if (problems.length > 0) throw new RangeError(`QualityThresholds.fromConfig: ${problems.join('; ')}`);
    return new QualityThresholds(init);
  }

  /** Every problem with the given limits (empty when valid). */
  static problemsOf(init: QualityThresholdsInit): string[] {
    const problems: string[] = [];
    for (const field of ['minValidRate', 'maxNullRate'] as const) {
      const value = init[field];
      if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= 1)) {
        problems.push(`${field} must be a rate between 0 and 1 (got ${String(value)})`);
      }
    }
    for (const field of ['minRecordCount', 'maxRecordCount'] as const) {
      const value = init[field];
      if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
        problems.push(`${field} must be a whole number ≥ 0 (got ${String(value)})`);
      }
    }
    const { minRecordCount, maxRecordCount } = init;
    if (minRecordCount !== undefined && maxRecordCount !== undefined && minRecordCount > maxRecordCount) {
      problems.push(`minRecordCount ${minRecordCount} is above maxRecordCount ${maxRecordCount}`);
    }
    return problems;
  }

  /** Every violated limit as a sentence; empty when the metrics pass. */
  check(metrics: QualityMetrics): string[] {
    const violations: string[] = [];
    if (this.minValidRate !== undefined && metrics.validRate < this.minValidRate) {
      violations.push(`validRate ${fmt(metrics.validRate)} is below minValidRate ${fmt(this.minValidRate)}`);
    }
    if (this.maxNullRate !== undefined && metrics.nullRate > this.maxNullRate) {
      violations.push(`nullRate ${fmt(metrics.nullRate)} is above maxNullRate ${fmt(this.maxNullRate)}`);
    }
    if (this.minRecordCount !== undefined && metrics.recordCount < this.minRecordCount) {
      violations.push(`recordCount ${metrics.recordCount} is below minRecordCount ${this.minRecordCount}`);
    }
    if (this.maxRecordCount !== undefined && metrics.recordCount > this.maxRecordCount) {
      violations.push(`recordCount ${metrics.recordCount} is above maxRecordCount ${this.maxRecordCount}`);
    }
    return violations;
  }

  /** The plain limits (JSON-serialisable). */
  toJSON(): QualityThresholdsInit {
    return { ...this };
  }
}
