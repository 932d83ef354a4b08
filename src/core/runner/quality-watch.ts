import { SpineError } from '../errors/spine-error';
import { messageOf } from '../errors/step-error';
import type { QualityMetrics } from '../quality/quality-metrics';
import { DEFAULT_QUALITY_TREND, degradationOf, type QualityDegradation, type QualityDegradedHook } from '../quality/quality-trend';
import type { WorkflowDefinition } from '../definition/workflow-definition';
import type { RunEventInit } from './run-event';
import type { RunnerServices } from './run-settings';

/** A runner's `onQualityDegraded`, checked (null when not given). */
export function qualityHook(hook: unknown): QualityDegradedHook | null {
  if (hook === undefined || hook === null) return null;
  if (typeof hook !== 'function') throw new SpineError('invalid-argument', `onQualityDegraded must be a function (got ${typeof hook}).`);
  return hook as QualityDegradedHook;
}

/**
 * After a step completed with quality metrics: when the runner or the workflow asked for it (a
 * hook or a trend), compares its valid rate with the step's recent executions in other runs of
 * the workflow (the store's quality trend); past the margin, records a `quality_degraded` event
 * and calls the hooks (not awaited: an alert that is slow or fails never holds or fails the run;
 * a failure is logged). A store that cannot be read is logged and the run goes on.
 */
export async function watchQuality(services: RunnerServices, definition: WorkflowDefinition, runId: string, step: string, quality: QualityMetrics, emit: (init: RunEventInit) => void): Promise<void> {
  const hooks = [services.onQualityDegraded, definition.onQualityDegraded ?? null].filter((h): h is QualityDegradedHook => h !== null);
  const configured = definition.qualityTrend ?? services.qualityTrend;
  if (hooks.length === 0 && configured === null) return;
  const options = configured ?? DEFAULT_QUALITY_TREND;
  const fields = { runId, workflow: definition.name, step };
  let found: ReturnType<typeof degradationOf>;
  try {
    const since = new Date(services.clock.now() - options.lookbackMs);
    const earlier = (await services.store.history.qualityTrend(definition.name, step, since)).filter((point) => point.runId !== runId);
    found = degradationOf(quality, earlier, options);
  } catch (error) {
    services.logger.warn(fields, `the quality trend of step "${step}" could not be read (${messageOf(error)}); its degradation is not checked this time.`);
    return;
  }
  if (found === null) return;
  const degradation: QualityDegradation = { workflow: definition.name, step, runId, validRate: quality.validRate, trendRate: found.trendRate, margin: options.margin, runs: found.runs, quality };
  emit({ type: 'quality_degraded', step, validRate: degradation.validRate, trendRate: degradation.trendRate, margin: degradation.margin, runs: degradation.runs });
  for (const hook of hooks) {
    void Promise.resolve()
      .then(() => hook(degradation))
      .catch((error: unknown) => services.logger.warn(fields, `onQualityDegraded threw for step "${step}" of run ${runId}: ${messageOf(error)}`));
  }
}
