import type { RunEvent } from 'spine-orchestration';
import { ProgressReporter } from '../../../src/cli/progress.reporter';

const base = { traceId: 't', workflow: 'finra.backfill', timestamp: 0 } as const;
const ev = (type: RunEvent['type'], extra: Record<string, unknown> = {}): RunEvent => ({ ...base, runId: 'r1', type, ...extra }) as RunEvent;

function reporter(mode: 'tty' | 'plain' | 'silent') {
  let out = '';
  let now = 0;
  const progress = new ProgressReporter({ write: (text: string) => (out += text) }, mode, () => now);
  return { progress, out: () => out, advance: (ms: number) => (now += ms) };
}

describe('ProgressReporter', () => {
  it('piped: prints one line per finished step, map progress at start, at most once a second, and at the end', () => {
    const { progress, out, advance } = reporter('plain');
    progress.onEvent(ev('run_started'));
    progress.onEvent(ev('step_started', { step: 'refresh', attempt: 1 }));
    progress.onEvent(ev('map_progress', { step: 'refresh', done: 0, failed: 0, total: 3 }));
    advance(10);
    progress.onEvent(ev('map_progress', { step: 'refresh', done: 1, failed: 0, total: 3 }));
    advance(1500);
    progress.onEvent(ev('map_progress', { step: 'refresh', done: 2, failed: 1, total: 3 }));
    progress.onEvent(ev('map_progress', { step: 'refresh', done: 3, failed: 1, total: 3 }));
    progress.onEvent(ev('step_failed', { step: 'refresh', durationMs: 1510, error: 'map step "refresh": 1 of 3 items failed' }));
    progress.onEvent(ev('run_failed'));
    expect(out().split('\n')).toEqual([
      '▶ finra.backfill · run r1',
      '    refresh: 0/3 items done',
      '    refresh: 2/3 items done (1 failed)',
      '    refresh: 3/3 items done (1 failed)',
      '  ✗ refresh 3/3 items, 1 failed (1.5 s): map step "refresh": 1 of 3 items failed',
      '',
    ]);
  });

  it('on a terminal: redraws a status line with the current step, items and elapsed time, cleared before each line', () => {
    const { progress, out, advance } = reporter('tty');
    progress.onEvent(ev('run_started'));
    progress.onEvent(ev('step_started', { step: 'refresh', attempt: 1 }));
    advance(2500);
    progress.onEvent(ev('map_progress', { step: 'refresh', done: 5, failed: 0, total: 12 }));
    expect(out()).toContain('\r\x1b[2K⠙ refresh · 5/12 items · 2.5 s (run 2.5 s)');
    progress.onEvent(ev('step_completed', { step: 'refresh', durationMs: 2600 }));
    expect(out().endsWith('\r\x1b[2K  ✓ refresh 5/12 items (2.6 s)\n')).toBe(true);
    progress.stop();
  });

  it("follows only the top-level run: map items' own events are left out, and the next run is followed after this one ends", () => {
    const { progress, out } = reporter('plain');
    progress.onEvent(ev('run_started'));
    progress.onEvent(ev('step_completed', { runId: 'r1:refresh:1:0', parentRunId: 'r1', step: 'ingest', durationMs: 3 }));
    progress.onEvent(ev('run_completed'));
    progress.onEvent(ev('run_started', { runId: 'r2', workflow: 'finra.weekly_refresh' }));
    progress.onEvent(ev('step_skipped', { runId: 'r2', step: 'rolling', reason: 'not enough history' }));
    expect(out()).toBe('▶ finra.backfill · run r1\n▶ finra.weekly_refresh · run r2\n  – rolling skipped: not enough history\n');
  });

  it('prints nothing in silent mode (--json)', () => {
    const { progress, out } = reporter('silent');
    progress.onEvent(ev('run_started'));
    progress.onEvent(ev('step_completed', { step: 'weeks', durationMs: 1 }));
    expect(out()).toBe('');
  });
});
