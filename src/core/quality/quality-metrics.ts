/** The counts a step reports about the data it handled. */
export interface QualityMetricsInit {
  readonly recordCount: number;
  readonly validCount?: number;
  readonly invalidCount?: number;
  readonly nullCount?: number;
  /**
   * The share of records with nulls (0–1), when the step reports a rate rather than a count:
   * kept as given (checked by `maxNullRate`, stored); `nullCount` then defaults to the rate times
   * the records, rounded. Without it the rate is nullCount / recordCount.
   */
  readonly nullRate?: number;
  /** Explicit verdict; by default a step passed when it lists no failure reasons. */
  readonly passed?: boolean;
  readonly customMetrics?: Readonly<Record<string, number | string | boolean | null>>;
  readonly failureReasons?: readonly string[];
}

/** Data-quality numbers of one step execution, with derived rates. Immutable. */
export class QualityMetrics {
  readonly recordCount: number;
  readonly validCount: number;
  readonly invalidCount: number;
  readonly nullCount: number;
  readonly passed: boolean;
  /** A rate the step gave (`nullRate`), else null. */
  readonly #nullRate: number | null;
  readonly customMetrics: Readonly<Record<string, number | string | boolean | null>>;
  readonly failureReasons: readonly string[];

  constructor(init: QualityMetricsInit) {
    const problems = QualityMetrics.problemsOf(init);
    if (problems.length > 0) throw new RangeError(`Invalid quality metrics: ${problems.join('; ')}`);
    this.recordCount = init.recordCount;
    this.validCount = init.validCount ?? init.recordCount - (init.invalidCount ?? 0);
    this.invalidCount = init.invalidCount ?? this.recordCount - this.validCount;
    this.#nullRate = init.nullRate ?? null;
    this.nullCount = init.nullCount ?? (init.nullRate === undefined ? 0 : Math.round(init.nullRate * init.recordCount));
    this.failureReasons = Object.freeze([...(init.failureReasons ?? [])]);
    this.passed = init.passed ?? this.failureReasons.length === 0;
    this.customMetrics = Object.freeze({ ...(init.customMetrics ?? {}) });
    Object.freeze(this);
  }

  /** Metrics from metrics or their plain description. */
  static from(value: QualityMetrics | QualityMetricsInit): QualityMetrics {
    return value instanceof QualityMetrics ? value : new QualityMetrics(value);
  }

  /** Every problem with the given counts (empty when valid). */
  static problemsOf(init: QualityMetricsInit): string[] {
    const problems: string[] = [];
    for (const field of ['recordCount', 'validCount', 'invalidCount', 'nullCount'] as const) {
      const value = init[field];
      if (value === undefined && field !== 'recordCount') continue;
      if (!(Number.isInteger(value) && (value as number) >= 0)) {
        problems.push(`${field} must be a whole number ≥ 0 (got ${String(value)})`);
      }
    }
    const rate = init.nullRate;
    if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1)) problems.push(`nullRate must be a rate between 0 and 1 (got ${String(rate)})`);
    if (problems.length === 0 && (init.validCount ?? 0) + (init.invalidCount ?? 0) > init.recordCount) {
      problems.push(`validCount + invalidCount exceeds recordCount ${init.recordCount}`);
    }
    return problems;
  }

  /** validCount / recordCount; 1 when there are no records. */
  get validRate(): number {
    return this.recordCount === 0 ? 1 : this.validCount / this.recordCount;
  }

  /** The rate the step gave, else nullCount / recordCount; 0 when there are no records. */
  get nullRate(): number {
    if (this.#nullRate !== null) return this.#nullRate;
    return this.recordCount === 0 ? 0 : this.nullCount / this.recordCount;
  }

  /** The same metrics marked failed, with the reasons added. */
  withFailures(reasons: readonly string[]): QualityMetrics {
    if (reasons.length === 0) return this;
    const { validRate: _rate, nullRate: _nulls, ...counts } = this.toJSON();
    return new QualityMetrics({ ...counts, ...(this.#nullRate !== null && { nullRate: this.#nullRate }), passed: false, failureReasons: [...this.failureReasons, ...reasons] });
  }

  /** A plain, JSON-serialisable copy including the derived rates. */
  toJSON(): QualityMetricsInit & { validRate: number; nullRate: number } {
    return {
      recordCount: this.recordCount,
      validCount: this.validCount,
      invalidCount: this.invalidCount,
      nullCount: this.nullCount,
      validRate: this.validRate,
      nullRate: this.nullRate,
      passed: this.passed,
      customMetrics: this.customMetrics,
      failureReasons: this.failureReasons,
    };
  }
}
