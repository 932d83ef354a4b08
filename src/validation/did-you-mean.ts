import leven from 'leven';

/**
 * The known names closest to a misspelt one (edit distance of at most a third of the shorter of the
 * two, at least 1), or one that contains it: `week` → `week_ending`. Best first, at most three.
 */
export function closestNames(name: string, known: Iterable<string>): string[] {
  const lower = name.toLowerCase();
  const scored: [string, number][] = [];
  for (const candidate of known) {
    if (candidate === name) continue;
    const other = candidate.toLowerCase();
    const limit = Math.max(1, Math.floor(Math.min(lower.length, other.length) / 3));
    const distance = leven(lower, other);
    if (distance <= limit) scored.push([candidate, distance]);
    else if (lower.length >= 3 && other.includes(lower)) scored.push([candidate, limit + 1]);
  }
  return scored
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, 3)
    .map(([candidate]) => candidate);
}

/** ` — did you mean "x"?` (or "x" or "y"), or '' when nothing is close. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const close = closestNames(name, known);
  return close.length === 0 ? '' : ` — did you mean ${close.map((c) => `"${c}"`).join(' or ')}?`;
}
