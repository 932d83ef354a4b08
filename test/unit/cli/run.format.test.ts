import type { StepRecord } from 'spine-orchestration';
import { formatDuration, formatQuality, summarizeSteps, table } from '../../../src/cli/run.format';

const record = (stepName: string, status: StepRecord['status'], attempt: number, durationMs: number, extra: Partial<StepRecord> = {}): StepRecord => ({
  runId: 'r',
  stepName,
  stepType: 'pipeline',
  iteration: 1,
  attempt,
  status,
  idempotencyKey: `r:${stepName}:1`,
  startedAt: new Date(0),
  finishedAt: new Date(0),
  durationMs,
  output: null,
  contextUpdates: null,
  error: null,
  errorCategory: null,
  quality: null,
  nextStep: null,
  ...extra,
});

describe('summarizeSteps', () => {
  it('folds retried attempts into one row: last status, attempts, total duration, last error', () => {
    const rows = summarizeSteps([
      record('ingest', 'retried', 1, 200, { error: 'source down' }),
      record('ingest', 'completed', 2, 50),
      record('validate', 'failed', 1, 1, { error: 'gate', quality: { recordCount: 10, validCount: 9 } }),
    ]);
    expect(rows).toEqual([
      { step: 'ingest', type: 'pipeline', iteration: 1, status: 'completed', attempts: 2, durationMs: 250, quality: null, error: null },
      { step: 'validate', type: 'pipeline', iteration: 1, status: 'failed', attempts: 1, durationMs: 1, quality: { recordCount: 10, validCount: 9 }, error: 'gate' },
    ]);
  });
});

describe('formatting', () => {
  it('writes durations for people', () => {
    expect([formatDuration(850), formatDuration(4_230), formatDuration(185_000)]).toEqual(['850 ms', '4.2 s', '3 min 05 s']);
  });

  it('writes quality as counts, valid rate and failed gates', () => {
    expect(formatQuality({ recordCount: 741, validCount: 738 })).toBe('741 records, 99.6% valid');
    expect(formatQuality({ recordCount: 10, validCount: 5, passed: false, failureReasons: ['validRate 0.5 is below 0.99'] })).toBe(
      '10 records, 50.0% valid, gate failed: validRate 0.5 is below 0.99',
    );
    expect(formatQuality(null)).toBe('');
  });

  it('aligns columns under upper-case headers', () => {
    expect(table(['a', 'long name'], [['xyz', '1'], ['k', '22']])).toBe('A    LONG NAME\nxyz  1\nk    22');
  });
});
