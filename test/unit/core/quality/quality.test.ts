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

describe('QualityThresholds.fromConfig (the design’s from_config)', () => {
  it('reads the limits of a step config in either spelling, nested or at the top level, leaving other keys alone', () => {
    expect(QualityThresholds.fromConfig({ min_valid_rate: 0.95, max_null_rate: 0.01, min_record_count: 100, max_record_count: 1_000_000, label: 'weekly' })).toEqual(
      new QualityThresholds({ minValidRate: 0.95, maxNullRate: 0.01, minRecordCount: 100, maxRecordCount: 1_000_000 }),
    );
    expect(QualityThresholds.fromConfig({ quality_thresholds: { minValidRate: 0.9 }, min_valid_rate: 0.5 }).minValidRate).toBe(0.9);
    expect(QualityThresholds.fromConfig({ quality: { min_record_count: 3 } }).check(new QualityMetrics({ recordCount: 2, validCount: 2 }))).toEqual(['recordCount 2 is below minRecordCount 3']);
    expect(QualityThresholds.fromConfig(undefined)).toEqual(new QualityThresholds());
  });

  it('refuses a limit that is not a number, one given twice, or one out of range, naming it', () => {
    expect(() => QualityThresholds.fromConfig({ min_valid_rate: '0.9' })).toThrow('QualityThresholds.fromConfig: min_valid_rate must be a number (got "0.9")');
    expect(() => QualityThresholds.fromConfig({ min_valid_rate: 0.9, minValidRate: 0.8 })).toThrow(/min_valid_rate is given twice/);
    expect(() => QualityThresholds.fromConfig({ max_null_rate: 2 })).toThrow(/maxNullRate must be a rate between 0 and 1 \(got 2\)/);
  });
});
