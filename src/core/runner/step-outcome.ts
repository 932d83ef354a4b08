import type { StepDefinition } from '../definition/step-definition';
import { END } from '../definition/workflow-definition';
import { ErrorCategory } from '../policy/error-category';
import { StepResult } from '../result/step-result';
import type { RunJournal } from '../store/ports/run-journal.port';

const NONE: readonly string[] = Object.freeze([]);

/** The shared empty updates object of results without context updates. */
export const EMPTY_UPDATES = StepResult.ok().contextUpdates;

/**
 * Applies the step's quality gate: a breach fails the step (hard), is only recorded (soft, as
 * warnings), or waits for a person's approval ('approve': `approval` set, the breaches as warnings).
 */
export function applyQualityGate(step: StepDefinition, result: StepResult): { result: StepResult; warnings: readonly string[]; approval?: boolean } {
  if (step.quality === null || !result.success) return { result, warnings: NONE };
  const metrics = result.quality;
  if (metrics === null) {
    const problem = 'the step reported no quality metrics (return them with StepResult.ok(output, { quality }))';
    if (step.qualityMode === 'warn') return { result, warnings: [problem] };
    if (step.qualityMode === 'approve') return { result, warnings: [problem], approval: true };
    const failed = result.asFailure(`Quality gate of step "${step.name}" failed: ${problem}`, ErrorCategory.DATA_QUALITY);
    return { result: failed, warnings: NONE };
  }
  const violations = step.quality.check(metrics);
  if (violations.length === 0) return { result, warnings: NONE };
  const marked = result.withQuality(metrics.withFailures(violations));
  if (step.qualityMode === 'warn') return { result: marked, warnings: violations };
  if (step.qualityMode === 'approve') return { result: marked, warnings: violations, approval: true };
  const failed = marked.asFailure(`Quality gate of step "${step.name}" failed: ${violations.join('; ')}`, ErrorCategory.DATA_QUALITY);
  return { result: failed, warnings: NONE };
}

/** A result whose nextStep names no step fails instead of routing nowhere. */
export function checkRoute(step: StepDefinition, result: StepResult, index: ReadonlyMap<string, number>): StepResult {
  const next = result.nextStep;
  if (next === null || next === END || index.has(next)) return result;
  return result.asFailure(`step "${step.name}" routed to "${next}", which is not a step of this workflow (steps: ${[...index.keys()].join(', ')})`, ErrorCategory.CONFIGURATION);
}

/** A middleware's return value, which must be a StepResult. */
export function toMiddlewareResult(value: unknown): StepResult {
  if (value instanceof StepResult) return value;
  return StepResult.fail(`a middleware returned ${typeof value} instead of a StepResult`, { category: ErrorCategory.INTERNAL });
}

/**
 * A result the store can keep: a success whose output or updates cannot be stored fails cleanly
 * (VALIDATION); a failure keeps its error but drops an output that cannot be stored.
 */
export function storableResult(store: RunJournal, step: StepDefinition, result: StepResult): StepResult {
  const problem = store.checkStorable(step.name, result.output, result.success ? result.contextUpdates : null);
  if (problem === null) return result;
  const quality = result.quality === null ? {} : { quality: result.quality };
  if (result.success) return StepResult.fail(problem, { category: ErrorCategory.VALIDATION, ...quality });
  return StepResult.fail(result.error!, { category: result.errorCategory!, ...quality });
}
