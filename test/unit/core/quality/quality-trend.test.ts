import { QualityMetrics } from 'spine-orchestration';
import { DEFAULT_QUALITY_TREND, degradationOf } from '../../../../src/core/quality/quality-trend';

const at = (validRate: number, recordCount = 100) => ({ recordCount, validRate });
const current = (valid: number, records = 100) => new QualityMetrics({ recordCount: records, validCount: valid });

describe('degradationOf: a valid rate against the average of its recent executions', () => {
  const options = { ...DEFAULT_QUALITY_TREND, window: 3, minRuns: 2 };

  it('averages only the last `window` executions that handled records, and needs `minRuns` of them', () => {
    expect(degradationOf(current(50), [at(1)], options)).toBeNull();
    expect(degradationOf(current(50), [at(0.2), at(1), at(1), at(0.4, 0), at(0.9)], options)).toEqual({ trendRate: (1 + 1 + 0.9) / 3, runs: 3 });
  });

  it('counts a drop of more than the margin, not one of exactly the margin, and never a step that handled no records', () => {
    expect(degradationOf(current(95), [at(1), at(1)], options)).toBeNull();
    expect(degradationOf(current(94), [at(1), at(1)], options)).toEqual({ trendRate: 1, runs: 2 });
    expect(degradationOf(current(0, 0), [at(1), at(1)], options)).toBeNull();
  });
});
