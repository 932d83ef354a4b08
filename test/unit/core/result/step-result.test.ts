import { ErrorCategory, LambdaStepResult, QualityMetrics, StepResult } from 'spine-orchestration';

describe('StepResult', () => {
  it('ok carries output, updates, quality, events and routing', () => {
    const r = StepResult.ok({ n: 1 }, { contextUpdates: { flag: true }, quality: { recordCount: 2, validCount: 2 }, events: [{ message: 'hi' }], nextStep: 'load' });
    expect(r).toMatchObject({ success: true, output: { n: 1 }, contextUpdates: { flag: true }, nextStep: 'load', error: null });
    expect(r.quality).toBeInstanceOf(QualityMetrics);
    expect(Object.isFrozen(r)).toBe(true);
  });

  it('fail defaults to INTERNAL and keeps an Error message', () => {
    expect(StepResult.fail(new Error('boom'))).toMatchObject({ success: false, error: 'boom', errorCategory: ErrorCategory.INTERNAL });
    expect(StepResult.fail('stale', { category: ErrorCategory.DATA_QUALITY, output: { stale: 3 } })).toMatchObject({
      errorCategory: ErrorCategory.DATA_QUALITY,
      output: { stale: 3 },
    });
  });

  it('wraps non-object outputs as { value } and is the same class as LambdaStepResult', () => {
    expect(StepResult.ok(5).output).toEqual({ value: 5 });
    expect(StepResult.ok([1]).output).toEqual({ value: [1] });
    expect(StepResult.ok().output).toEqual({});
    expect(LambdaStepResult.ok()).toBeInstanceOf(StepResult);
  });
});
