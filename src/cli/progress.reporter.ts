import type { RunEvent } from '../core/runner/run-event';
import { formatDuration, printable } from './run.format';

/** Where progress goes and how: a redrawn status line on a terminal, plain lines when piped, nothing for --json. */
export type ProgressMode = 'tty' | 'plain' | 'silent';

interface Writable {
  write(text: string): unknown;
  /** A terminal's width: the status line is cut to it (a wrapped line could not be redrawn in place). */
  readonly columns?: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Piped output prints a map's progress at most this often (and when it finishes). */
const PLAIN_PROGRESS_EVERY_MS = 1000;

/**
 * Shows a run's progress from its events: each finished step as a line, and on a terminal a status
 * line with the current step, its elapsed time and a map step's items done/total. Only the
 * top-level run is followed; map items show up as the map step's counts.
 */
export class ProgressReporter {
  private runId: string | null = null;
  private runStartedAt = 0;
  private step: string | null = null;
  private stepStartedAt = 0;
  private map: { done: number; failed: number; total: number } | null = null;
  private lastPlainProgress = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | null = null;
  private statusShown = false;

  constructor(
    private readonly out: Writable,
    private readonly mode: ProgressMode,
    private readonly now: () => number = Date.now,
  ) {}

  /** The listener to pass as `onEvent`. */
  readonly onEvent = (event: RunEvent): void => {
    if (this.mode === 'silent') return;
    if (event.parentRunId !== undefined) return;
    if (this.runId !== null && event.runId !== this.runId) return;
    switch (event.type) {
      case 'run_started':
      case 'run_resumed':
        this.runId = event.runId;
        this.runStartedAt = this.now();
        this.line(event.type === 'run_started' ? `▶ ${event.workflow} · run ${event.runId}` : `▶ resuming ${event.workflow} · run ${event.runId}${event.step ? ` at step "${event.step}"` : ''}`);
        this.startTicking();
        break;
      case 'step_started':
        this.step = event.step ?? null;
        this.stepStartedAt = this.now();
        this.map = null;
        this.redraw();
        break;
      case 'map_progress':
        this.map = { done: event.done ?? 0, failed: event.failed ?? 0, total: event.total ?? 0 };
        if (this.mode === 'plain') this.plainMapProgress(event.step ?? '');
        else this.redraw();
        break;
      case 'step_completed':
      case 'step_failed': {
        const text = `  ${event.type === 'step_completed' ? '✓' : '✗'} ${event.step}${this.mapSummary()} (${formatDuration(event.durationMs ?? 0)})`;
        this.step = null;
        this.map = null;
        this.line(event.type === 'step_completed' ? text : `${text}: ${printable(event.error)}`);
        break;
      }
      case 'step_retried':
        this.line(`  ↻ ${event.step} attempt ${event.attempt} failed, retrying in ${formatDuration(event.delayMs ?? 0)}: ${printable(event.error ?? '')}`);
        break;
      case 'step_skipped':
        this.line(`  – ${event.step} skipped${event.reason ? `: ${event.reason}` : ''}`);
        break;
      case 'quality_warning':
        this.line(`  ! ${event.step}: quality warning: ${(event.violations ?? []).join('; ')}`);
        break;
      case 'quality_degraded':
        this.line(`  ! ${event.step}: quality degraded: valid rate ${(event.validRate * 100).toFixed(1)} % against ${(event.trendRate * 100).toFixed(1)} % over its last ${event.runs} runs`);
        break;
      case 'signal_waiting': {
        const approval = event.signal?.startsWith('approval:') === true;
        const breaches = (event.violations ?? []).join('; ');
        const what = approval
          ? `${breaches === '' ? 'quality gate breached' : breaches}: waiting for a person to approve or reject it (spine approve / spine reject ${event.runId})`
          : `waiting for signal "${event.signal}"${event.until ? ` until ${event.until}` : ''}`;
        this.line(`  ⏸ ${event.step} ${what}`);
        break;
      }
      case 'signal_received':
        this.line(`  ✉ ${event.step ?? ''} received signal "${event.signal}"`);
        break;
      default:
        if (event.type === 'run_parked') this.line(`  ⏸ parked ${event.reason ?? ''}: no process holds it now; a worker continues it when it is due`);
        // the run ended here: stop following it (the next run_started begins another)
        if (event.type.startsWith('run_')) {
          this.stop();
          this.runId = null;
          this.step = null;
          this.map = null;
        }
    }
  };

  /** Stops redrawing and clears the status line. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.clearStatus();
  }

  private mapSummary(): string {
    if (this.map === null) return '';
    return ` ${this.map.done}/${this.map.total} items${this.map.failed > 0 ? `, ${this.map.failed} failed` : ''}`;
  }

  private startTicking(): void {
    if (this.mode !== 'tty' || this.timer !== null) return;
    this.timer = setInterval(() => this.redraw(), 100);
    this.timer.unref();
  }

  private plainMapProgress(step: string): void {
    const map = this.map!;
    const now = this.now();
    const edge = map.done === 0 || map.done === map.total;
    if (!edge && now - this.lastPlainProgress < PLAIN_PROGRESS_EVERY_MS) return;
    this.lastPlainProgress = now;
    this.out.write(`    ${step}: ${map.done}/${map.total} items done${map.failed > 0 ? ` (${map.failed} failed)` : ''}\n`);
  }

  /** A permanent line (the status line is redrawn under it). */
  private line(text: string): void {
    this.clearStatus();
    this.out.write(`${text}\n`);
    this.redraw();
  }

  private clearStatus(): void {
    if (this.mode === 'tty' && this.statusShown) this.out.write('\r\x1b[2K');
    this.statusShown = false;
  }

  private redraw(): void {
    if (this.mode !== 'tty' || this.step === null || this.runId === null) return;
    const now = this.now();
    const spinner = SPINNER[this.frame++ % SPINNER.length];
    const items = this.map === null ? '' : ` · ${this.map.done}/${this.map.total} items${this.map.failed > 0 ? ` (${this.map.failed} failed)` : ''}`;
    const text = `${spinner} ${this.step}${items} · ${formatDuration(now - this.stepStartedAt)} (run ${formatDuration(now - this.runStartedAt)})`;
    const width = this.out.columns;
    this.out.write(`\r\x1b[2K${width !== undefined && width > 1 ? text.slice(0, width - 1) : text}`);
    this.statusShown = true;
  }
}
