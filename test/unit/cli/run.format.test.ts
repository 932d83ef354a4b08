import type { StepRecord } from 'spine-orchestration';
import { formatDuration, formatQuality, printable, summarizeSteps, table } from '../../../src/cli/run.format';

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

describe('summarizeSteps of a resumed run', () => {
  it('keeps the failed execution before the resume as a row of its own', () => {
    const rows = summarizeSteps([
      record('ingest', 'completed', 1, 10),
      record('load', 'retried', 1, 5, { error: 'timeout' }),
      record('load', 'failed', 2, 5, { error: 'source down' }),
      record('load', 'completed', 1, 7),
    ]);
    expect(rows.map((r) => [r.step, r.status, r.attempts, r.error])).toEqual([
      ['ingest', 'completed', 1, null],
      ['load', 'failed', 2, 'source down'],
      ['load', 'completed', 1, null],
    ]);
  });
});

describe('printable', () => {
  it('shows control characters from stored text as escapes, so a stored error cannot drive the terminal', () => {
    expect(printable('boom\u001b[2J\u001b[31mred\rline\nnext\u0007')).toBe('boom\\x1b[2J\\x1b[31mred\\rline\\nnext\\x07');
    expect(printable('plain – ünïcode ✓')).toBe('plain – ünïcode ✓');
  });
});

describe('formatting', () => {
  it('writes durations for people', () => {
    expect([formatDuration(850), formatDuration(4_230), formatDuration(185_000)]).toEqual(['850 ms', '4.2 s', '3 min 05 s']);
  });

  it('writes quality as counts, valid rate and failed gates', () => {
    expect(formatQuality({ recordCount: 741, validCount: 738 })).toBe('741 records, 99.6% valid');
    expect(formatQuality({ recordCount: 10, validCount: 5, passed: false, failureReasons: ['validRate 0.5 is below 0.99'] })).toBe('10 records, 50.0% valid, gate failed: validRate 0.5 is below 0.99');
    expect(formatQuality(null)).toBe('');
  });

  it('aligns columns under upper-case headers', () => {
    expect(
      table(
        ['a', 'long name'],
        [
          ['xyz', '1'],
          ['k', '22'],
        ],
      ),
    ).toBe('A    LONG NAME\nxyz  1\nk    22');
  });
});
