import { ErrorCategory, isErrorCategory, unknownCategoryMessage } from './error-category';

/** How the delay between attempts grows. */
export type BackoffKind = 'exponential' | 'linear' | 'constant';

/** The options of a {@link RetryPolicy}; every field has a default. */
export interface RetryPolicyOptions {
  /** Attempts in all, the first included (default 3). */
  readonly maxAttempts?: number;
  /** Default 'exponential'. */
  readonly backoff?: BackoffKind;
  /** Delay before the second attempt (default 1,000 ms). */
  readonly initialDelayMs?: number;
  /** Upper bound of any delay (default 30,000 ms). */
  readonly maxDelayMs?: number;
  /** Spread each delay randomly between 50 % and 100 % of its value (default true). */
  readonly jitter?: boolean;
  /** Categories worth another attempt (default TRANSIENT, NETWORK, TIMEOUT, DEPENDENCY, INTERNAL). */
  readonly retryableCategories?: readonly ErrorCategory[];
}

/** The categories retried by default. */
export const DEFAULT_RETRYABLE: readonly ErrorCategory[] = [ErrorCategory.TRANSIENT, ErrorCategory.NETWORK, ErrorCategory.TIMEOUT, ErrorCategory.DEPENDENCY, ErrorCategory.INTERNAL];

/** When and how often a failed step is tried again. Immutable. */
export class RetryPolicy {
  readonly maxAttempts: number;
  readonly backoff: BackoffKind;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: boolean;
  readonly retryableCategories: readonly ErrorCategory[];

  constructor(options: RetryPolicyOptions = {}) {
    const problems = RetryPolicy.problemsOf(options);
    if (problems.length > 0) throw new RangeError(`Invalid retry policy: ${problems.join('; ')}`);
    this.maxAttempts = options.maxAttempts ?? 3;
    this.backoff = options.backoff ?? 'exponential';
    this.initialDelayMs = options.initialDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.jitter = options.jitter ?? true;
    this.retryableCategories = Object.freeze([...(options.retryableCategories ?? DEFAULT_RETRYABLE)]);
    Object.freeze(this);
  }

  /** A policy from a policy or its options; `undefined` stays `undefined`. */
  static from(value: RetryPolicy | RetryPolicyOptions): RetryPolicy;
  static from(value: RetryPolicy | RetryPolicyOptions | undefined): RetryPolicy | undefined;
  static from(value: RetryPolicy | RetryPolicyOptions | undefined): RetryPolicy | undefined {
    if (value === undefined || value instanceof RetryPolicy) return value;
    return new RetryPolicy(value);
  }

  /** Every problem with the given options, as readable sentences (empty when valid). */
  static problemsOf(options: RetryPolicyOptions): string[] {
    const problems: string[] = [];
    const { maxAttempts, backoff, initialDelayMs, maxDelayMs, retryableCategories } = options;
    if (maxAttempts !== undefined && !(Number.isInteger(maxAttempts) && maxAttempts >= 1)) {
      problems.push(`maxAttempts must be a whole number ≥ 1 (got ${String(maxAttempts)})`);
    }
    if (backoff !== undefined && !['exponential', 'linear', 'constant'].includes(backoff)) {
      problems.push(`backoff must be 'exponential', 'linear' or 'constant' (got ${JSON.stringify(backoff)})`);
    }
    for (const [field, value] of [
      ['initialDelayMs', initialDelayMs],
      ['maxDelayMs', maxDelayMs],
    ] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
        problems.push(`${field} must be a number ≥ 0 (got ${String(value)})`);
      }
    }
    for (const category of retryableCategories ?? []) {
      if (!isErrorCategory(category)) problems.push(unknownCategoryMessage('retryableCategories', category));
    }
    return problems;
  }

  /** True when a failure of this category on attempt `attempt` (1-based) earns another attempt. */
  shouldRetry(category: ErrorCategory, attempt: number): boolean {
    return attempt < this.maxAttempts && this.retryableCategories.includes(category);
  }

  /** The delay before attempt `attempt + 1`, after attempt `attempt` (1-based) failed. */
  delayAfter(attempt: number, random: () => number = Math.random): number {
    const base = this.initialDelayMs;
    let delay: number;
    if (this.backoff === 'exponential') delay = base * 2 ** (attempt - 1);
    else if (this.backoff === 'linear') delay = base * attempt;
    else delay = base;
    delay = Math.min(delay, this.maxDelayMs);
    if (this.jitter) delay = delay * (0.5 + random() * 0.5);
    return Math.round(delay);
  }

  /** The options that rebuild this policy (JSON-serialisable). */
  toJSON(): Required<RetryPolicyOptions> {
    const { maxAttempts, backoff, initialDelayMs, maxDelayMs, jitter, retryableCategories } = this;
    return { maxAttempts, backoff, initialDelayMs, maxDelayMs, jitter, retryableCategories };
  }
}
