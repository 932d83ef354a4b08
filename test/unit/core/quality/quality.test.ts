import { QualityMetrics, QualityThresholds } from 'spine-orchestration';

describe('QualityMetrics', () => {
  it('derives rates, invalid count and the verdict', () => {
    const m = new QualityMetrics({ recordCount: 200, validCount: 190, nullCount: 10 });
    expect(m.invalidCount).toBe(10);
    expect(m.validRate).toBe(0.95);
    expect(m.nullRate).toBe(0.05);
    expect(m.passed).toBe(true);
    expect(new QualityMetrics({ recordCount: 0 }).validRate).toBe(1);
    expect(new QualityMetrics({ recordCount: 1, failureReasons: ['x'] }).passed).toBe(false);
  });

  it('rejects impossible counts', () => {
    expect(() => new QualityMetrics({ recordCount: -1 })).toThrow(/recordCount must be a whole number/);
    expect(() => new QualityMetrics({ recordCount: 5, validCount: 4, invalidCount: 3 })).toThrow(/exceeds recordCount 5/);
  });

  it('serialises with its rates', () => {
    expect(JSON.parse(JSON.stringify(new QualityMetrics({ recordCount: 4, validCount: 3 })))).toMatchObject({ validRate: 0.75, invalidCount: 1 });
  });
});

describe('QualityThresholds', () => {
  it('lists every violated limit', () => {
    const t = new QualityThresholds({ minValidRate: 0.95, maxNullRate: 0.01, minRecordCount: 300, maxRecordCount: 1000 });
    expect(t.check(new QualityMetrics({ recordCount: 200, validCount: 180, nullCount: 10 }))).toEqual([
      'validRate 0.9 is below minValidRate 0.95',
      'nullRate 0.05 is above maxNullRate 0.01',
      'recordCount 200 is below minRecordCount 300',
    ]);
    expect(t.check(new QualityMetrics({ recordCount: 500, validCount: 500 }))).toEqual([]);
  });

  it('rejects limits that cannot be met', () => {
    expect(() => new QualityThresholds({ minValidRate: 1.5 })).toThrow(/minValidRate must be a rate between 0 and 1/);
    expect(() => new QualityThresholds({ minRecordCount: 10, maxRecordCount: 5 })).toThrow(/above maxRecordCount/);
  });
});
