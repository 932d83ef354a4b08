/**
 * The benchmark's targets: each measured ratio next to its goal. `npm run bench -- --check` exits
 * non-zero when a ratio misses its target by more than 20 % (for a quiet machine, by hand or in
 * CI; never a timed test).
 */
export interface Target {
  readonly label: string;
  readonly value: number;
  readonly target: number;
  /** 'max': the value should stay at or below the target; 'min': at or above it. */
  readonly kind: 'max' | 'min';
}

const targets: Target[] = [];

/** Records a measured ratio and its target; returns a note for the measure's row. */
export function track(label: string, value: number, target: number, kind: 'max' | 'min'): string {
  targets.push({ label, value, target, kind });
  return `${value.toFixed(2)}× (${kind === 'max' ? '≤' : '≥'} ${target})`;
}

const met = (t: Target, slack = 1): boolean => (t.kind === 'max' ? t.value <= t.target * slack : t.value >= t.target / slack);

/** The table of targets, and the targets missed by more than 20 %. */
export function targetReport(): { readonly lines: string[]; readonly missed: Target[] } {
  const row = (a: string, b: string, c: string, d: string): string => `| ${a.padEnd(66)} | ${b.padStart(8)} | ${c.padStart(8)} | ${d.padEnd(17)} |`;
  const lines = [row('target', 'measured', 'goal', 'verdict'), row('-'.repeat(66), '-'.repeat(8), '-'.repeat(8), '-'.repeat(17))];
  for (const t of targets) {
    const verdict = met(t) ? 'met' : met(t, 1.2) ? 'missed (< 20 %)' : 'MISSED';
    lines.push(row(t.label, t.value.toFixed(2), `${t.kind === 'max' ? '≤' : '≥'} ${t.target}`, verdict));
  }
  return { lines, missed: targets.filter((t) => !met(t, 1.2)) };
}
