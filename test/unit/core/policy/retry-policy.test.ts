import { ErrorCategory, RetryPolicy } from 'spine-orchestration';

describe('RetryPolicy', () => {
  it('grows delays by its backoff and caps them at maxDelayMs', () => {
    const exp = new RetryPolicy({ initialDelayMs: 100, maxDelayMs: 500, jitter: false });
    expect([1, 2, 3, 4].map((a) => exp.delayAfter(a))).toEqual([100, 200, 400, 500]);
    const lin = new RetryPolicy({ backoff: 'linear', initialDelayMs: 100, jitter: false });
    expect([1, 2, 3].map((a) => lin.delayAfter(a))).toEqual([100, 200, 300]);
    const con = new RetryPolicy({ backoff: 'constant', initialDelayMs: 70, jitter: false });
    expect([1, 5].map((a) => con.delayAfter(a))).toEqual([70, 70]);
  });

  it('spreads delays between half and all of their value with jitter', () => {
    const policy = new RetryPolicy({ initialDelayMs: 1000 });
    expect(policy.delayAfter(1, () => 0)).toBe(500);
    expect(policy.delayAfter(1, () => 1)).toBe(1000);
  });

  it('retries only retryable categories and only while attempts remain', () => {
    const policy = new RetryPolicy({ maxAttempts: 3 });
    expect(policy.shouldRetry(ErrorCategory.TRANSIENT, 1)).toBe(true);
    expect(policy.shouldRetry(ErrorCategory.TRANSIENT, 3)).toBe(false);
    expect(policy.shouldRetry(ErrorCategory.DATA_QUALITY, 1)).toBe(false);
    expect(policy.shouldRetry(ErrorCategory.VALIDATION, 1)).toBe(false);
    const onlyTimeouts = new RetryPolicy({ retryableCategories: [ErrorCategory.TIMEOUT] });
    expect(onlyTimeouts.shouldRetry(ErrorCategory.INTERNAL, 1)).toBe(false);
  });

  it('rejects invalid options with every problem named', () => {
    expect(() => new RetryPolicy({ maxAttempts: 0, backoff: 'fibonacci' as never, initialDelayMs: -5 })).toThrow(
      /maxAttempts must be a whole number ≥ 1 \(got 0\); backoff must be .*; initialDelayMs must be a number ≥ 0/,
    );
  });
});
