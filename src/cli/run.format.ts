import type { QualityMetricsInit } from '../core/quality/quality-metrics';
import type { RunRecord, StepRecord } from '../core/store/records/run-record';
import type { WorkflowResult } from '../core/runner/workflow-result';

/** 850 ms, 4.2 s, 3 min 05 s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')} s`;
}

/** 2026-11-26 05:10:03 (UTC). */
export function formatTime(date: Date | null): string {
  return date === null
    ? '-'
    : date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

/** Left-aligned columns under upper-case headers; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [render(headers.map((h) => h.toUpperCase())), ...rows.map(render)].join('\n');
}

/**
 * Stored text made safe for a terminal: control characters (escape sequences from an error
 * message, a carriage return, a newline in a table cell) shown as escapes instead of acting.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

const shorten = (text: string | null, max: number): string => {
  if (text === null) return '';
  const safe = printable(text);
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
};

/** "412 records, 98.3% valid" and the failed thresholds, if any. */
export function formatQuality(quality: QualityMetricsInit | null): string {
  if (quality === null) return '';
  const records = quality.recordCount ?? 0;
  const parts = [`${records} records`];
  if (records > 0 && quality.validCount !== undefined) parts.push(`${((quality.validCount / records) * 100).toFixed(1)}% valid`);
  if (quality.passed === false) parts.push(`gate failed: ${(quality.failureReasons ?? []).join('; ')}`);
  return parts.join(', ');
}

/** One row per step execution (its attempts folded together), in the order they ran. */
export interface StepSummary {
  readonly step: string;
  readonly type: string;
  readonly iteration: number;
  readonly status: string;
  readonly attempts: number;
  readonly durationMs: number;
  readonly quality: QualityMetricsInit | null;
  readonly error: string | null;
}

/**
 * Folds a run's step records into one summary per execution: retried attempts and a wait's
 * 'waiting' row join the record that ended them. An execution that ended (failed, say) and ran
 * again when the run was resumed shows as two rows, so earlier failures stay visible.
 */
export function summarizeSteps(records: readonly StepRecord[]): StepSummary[] {
  const rows: StepSummary[] = [];
  const open = new Map<string, number>();
  for (const record of records) {
    const key = `${record.stepName}#${record.iteration}`;
    const at = open.get(key);
    const earlier = at === undefined ? undefined : rows[at];
    const row: StepSummary = {
      step: record.stepName,
      type: record.stepType,
      iteration: record.iteration,
      status: record.status,
      attempts: Math.max(earlier?.attempts ?? 0, record.attempt),
      durationMs: (earlier?.durationMs ?? 0) + record.durationMs,
      quality: record.quality ?? earlier?.quality ?? null,
      error: record.error,
    };
    if (at === undefined) rows.push(row);
    else rows[at] = row;
    // a record that ends the execution closes its row; a later record of the same execution (a resume) opens another
    if (record.status === 'retried' || record.status === 'waiting') open.set(key, at ?? rows.length - 1);
    else open.delete(key);
  }
  return rows;
}

/** The step table of `spine show`. */
export function formatSteps(steps: readonly StepSummary[]): string {
  if (steps.length === 0) return '  (no steps recorded)';
  const loops = steps.some((s) => s.iteration > 1);
  return table(
    ['step', 'type', 'status', 'attempts', 'duration', 'quality', 'error'],
    steps.map((s) => [loops ? `${s.step} #${s.iteration}` : s.step, s.type, s.status, String(s.attempts), formatDuration(s.durationMs), formatQuality(s.quality), shorten(s.error, 120)]),
  )
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** The table of `spine runs`. */
export function formatRuns(runs: readonly RunRecord[]): string {
  return table(
    ['run id', 'workflow', 'status', 'started', 'duration', 'steps', 'error'],
    runs.map((run) => [
      run.runId,
      run.workflowName,
      run.status === 'queued' ? `queued (${run.queue})` : run.status,
      formatTime(run.startedAt),
      run.durationMs === null ? '-' : formatDuration(run.durationMs),
      `${run.completedSteps}/${run.totalSteps}`,
      shorten(run.errorStep === null ? run.error : `at "${run.errorStep}": ${run.error ?? ''}`, 80),
    ]),
  );
}

/** The heading of `spine show` and of a finished `spine run`. */
export function formatRunHeader(run: RunRecord): string {
  const lines = [
    `Run ${run.runId}  ${run.workflowName}  ${run.status.toUpperCase()}`,
    `  started   ${formatTime(run.startedAt)}${run.finishedAt === null ? '' : `   finished ${formatTime(run.finishedAt)}`}${run.durationMs === null ? '' : `   (${formatDuration(run.durationMs)})`}`,
    `  steps     ${run.completedSteps}/${run.totalSteps} completed, ${run.failedSteps} failed, ${run.skippedSteps} skipped`,
    `  params    ${printable(JSON.stringify(run.params))}`,
    `  version   ${run.workflowVersion} (definition ${run.workflowHash.slice(0, 12)})${run.appVersion === null ? '' : `, build ${printable(run.appVersion)}`}`,
  ];
  if (run.parentRunId !== null) lines.push(`  item of   run ${run.parentRunId}`);
  else {
    const fire = run.triggerSchedule === null ? '' : ` of schedule "${run.triggerSchedule}"${run.triggerFireTime === null ? '' : ` for ${formatTime(run.triggerFireTime)}`}`;
    lines.push(`  trigger   ${run.triggerSource}${fire}`);
  }
  if (run.queue !== null) {
    const extra = [run.priority !== 0 && `priority ${run.priority}`, run.concurrencyKey !== null && `key ${run.concurrencyKey}`].filter(Boolean).join(', ');
    lines.push(`  queue     ${run.queue}${extra === '' ? '' : ` (${extra})`}`);
  }
  if (run.status === 'queued' && run.leaseExpiresAt !== null) lines.push(`  due       ${formatTime(run.leaseExpiresAt)} (a worker of queue "${run.queue}" starts it)`);
  if (run.status === 'waiting' && run.leaseOwner === null && run.leaseExpiresAt !== null) {
    const when = run.leaseExpiresAt.getUTCFullYear() >= 9999 ? 'when its signal comes' : run.leaseExpiresAt.getTime() <= Date.now() ? 'now (it is due)' : formatTime(run.leaseExpiresAt);
    lines.push(`  wakes     ${when} (any worker of queue "${run.queue}" continues it)`);
  }
  if (run.leaseOwner !== null && run.status !== 'queued') lines.push(`  owner     ${run.leaseOwner} (lease until ${formatTime(run.leaseExpiresAt)})`);
  if (run.error !== null) lines.push(`  error     ${run.errorStep === null ? '' : `at "${run.errorStep}": `}${printable(run.error)}`);
  if (run.cancelRequested && run.status === 'running') lines.push('  cancel    requested; the run stops at its next step boundary');
  return lines.join('\n');
}

/** A run's output: its last completed step's (null when no step completed, or on a run that did not reach its end). */
export function runOutput(result: WorkflowResult): unknown {
  if (result.status !== 'completed' && result.status !== 'partial') return null;
  const last = result.completedSteps[result.completedSteps.length - 1];
  return last === undefined ? null : result.context.getOutput(last, undefined, null);
}

/** The output on one line for people, cut at 400 characters (the whole of it: spine show <run> --json); null when there is none. */
export function outputLine(output: unknown): string | null {
  if (output === null || output === undefined) return null;
  const text = printable(JSON.stringify(output) ?? String(output));
  return text.length <= 400 ? text : `${text.slice(0, 400)}… (${text.length} characters; all of it: spine show <run> --json)`;
}
