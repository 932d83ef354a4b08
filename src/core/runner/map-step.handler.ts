import { reachedEnd } from '../store/records/run-record';
import { setMaxListeners } from 'node:events';
import type { WorkflowContext } from '../context/workflow-context';
import type { MapStepDefinition, StepRuntime } from '../definition/step-definition';
import type { MapItemRecord } from '../store/records/run-record';
import type { WorkflowDefinition } from '../definition/workflow-definition';
import { ErrorCategory } from '../policy/error-category';
import { QualityMetrics } from '../quality/quality-metrics';
import { StepResult } from '../result/step-result';
import type { MapItemError, StepHandler } from './step-environment';
import { isThenable } from './thenable';
import { YIELDED } from './yielded.result';
import { messageOf } from '../errors/step-error';
import { RunHaltedError } from '../errors/step-timeout.error';
import { mapItemRunId } from './map-item-id';
import { distributedMap } from './distributed-map';

/**
 * Runs the iterator once per item with bounded concurrency; the output keeps item order. Once the
 * map fails (more failed items than tolerated) or an item cannot be recorded, no further item
 * starts and the items in flight are halted (their signals aborted; they stop unfinished, to run
 * again when the step is re-run) before the step's result is returned.
 */
export const mapStepHandler: StepHandler<MapStepDefinition> = async (step, ctx, runtime, env) => {
  const items = await itemsOf(step, ctx, runtime);
  if (!Array.isArray(items)) {
    return StepResult.fail(`map step "${step.name}": the items (${describeSource(step)}) are not an array (got ${items === null ? 'null' : typeof items})`, { category: ErrorCategory.VALIDATION });
  }
  const iterator = env.iteratorWorkflow(step.iterator);
  const total = items.length;
  const tolerated = toleratedFailures(step, total);
  const paramsOf = (index: number): Readonly<Record<string, unknown>> => {
    const params = { ...missingDefaults(iterator, ctx), [step.itemParam]: items[index] };
    return step.indexParam === null ? params : { ...params, [step.indexParam]: index };
  };
  if (step.distribute !== null && !env.dryRun) return distributedMap(step, ctx, runtime, env, items, iterator, tolerated, paramsOf);
  const results: unknown[] = new Array(total).fill(null);
  const errors: MapItemError[] = [];
  // a durable map of one-step items keeps one row per item: completed ones are not run again
  const asRows = env.itemRows(iterator);
  const iteration = Number(runtime.idempotencyKey.slice(runtime.idempotencyKey.lastIndexOf(':') + 1));
  const recorded = new Map<number, MapItemRecord>();
  if (asRows) for (const item of await env.listMapItems(step.name, iteration)) recorded.set(item.index, item);
  const halt = new AbortController();
  const itemSignal = AbortSignal.any([runtime.signal, halt.signal]);
  setMaxListeners(0, itemSignal); // one listener per item in flight
  /** Why the items could not go on (the run's claim was lost, the store failed): thrown once every item has settled. */
  let fatal = null as { readonly error: unknown } | null;
  let next = 0;
  let succeeded = 0;
  env.mapProgress(step.name, 0, 0, total);

  const failed = (error: MapItemError): void => {
    errors.push(error);
    if (errors.length > tolerated && !halt.signal.aborted) {
      halt.abort(new RunHaltedError(`map step "${step.name}" failed: item ${error.index} failed past the tolerance of ${tolerated}`));
    }
  };
  const runItem = async (index: number): Promise<void> => {
    const item = items[index];
    const done = recorded.get(index);
    if (done?.status === 'completed') {
      succeeded++;
      results[index] = done.output;
      env.mapProgress(step.name, succeeded + errors.length, errors.length, total);
      return;
    }
    let params = paramsOf(index);
    try {
      const checked = env.itemParams(iterator, ctx, params);
      params = isThenable(checked) ? await checked : checked;
    } catch (error) {
      failed({ index, item, step: null, error: messageOf(error), errorCategory: ErrorCategory.VALIDATION });
      env.mapProgress(step.name, succeeded + errors.length, errors.length, total);
      return;
    }
    const child = ctx.spawn({ runId: mapItemRunId(runtime.idempotencyKey, index, env.rootRunId), startedAt: new Date(env.clock.now()), params });
    const result = await env.runChild(iterator, child, itemSignal, asRows);
    // stopped because the parent gives way or the map halted: unfinished, not failed (a re-run continues it)
    if (result.status === 'stopped' && (env.yieldSignal?.aborted === true || halt.signal.aborted)) return;
    const last = result.completedSteps[result.completedSteps.length - 1];
    const ok = reachedEnd(result.status);
    const output = ok && last !== undefined ? result.context.getOutput(last, undefined, null) : null;
    const error = ok ? null : (result.error ?? `item run ended ${result.status}`);
    const errorCategory = ok ? null : (result.errorCategory ?? ErrorCategory.INTERNAL);
    if (asRows) {
      const kept = env.recordMapItem({
        runId: env.runId,
        stepName: step.name,
        iteration,
        index,
        status: ok ? 'completed' : 'failed',
        attempts: result.steps[result.steps.length - 1]?.attempts ?? 0,
        output,
        error,
        errorStep: result.errorStep,
        errorCategory,
        epoch: env.epoch,
        startedAt: result.startedAt,
        finishedAt: result.finishedAt,
        durationMs: result.durationMs,
      });
      // the in-memory store keeps the row at once: no promise to wait for
      if (kept !== undefined) await kept;
    }
    if (ok) {
      succeeded++;
      results[index] = output;
    } else {
      failed({ index, item, step: result.errorStep, error: error!, errorCategory: errorCategory! });
    }
    env.mapProgress(step.name, succeeded + errors.length, errors.length, total);
  };
  const goOn = (): boolean => next < total && !halt.signal.aborted && !runtime.signal.aborted && env.yieldSignal?.aborted !== true;
  const worker = async (): Promise<void> => {
    try {
      while (goOn()) {
        const ready = env.beforeItem();
        if (ready !== undefined) await ready;
        if (!goOn()) break;
        await runItem(next++);
      }
    } catch (error) {
      fatal ??= { error };
      if (!halt.signal.aborted) halt.abort(new RunHaltedError(`map step "${step.name}" could not go on: ${messageOf(error)}`));
    }
  };
  await Promise.all(Array.from({ length: Math.min(step.maxConcurrency, total) }, worker));
  if (fatal !== null) throw fatal.error;
  if (runtime.signal.aborted) throw runtime.signal.reason;
  if (env.yieldSignal?.aborted === true && succeeded + errors.length < total && errors.length <= tolerated) return YIELDED;

  errors.sort((a, b) => a.index - b.index);
  const output = { results, total, succeeded, failed: errors.length, errors };
  const quality = new QualityMetrics({ recordCount: total, validCount: succeeded, invalidCount: total - succeeded });
  if (errors.length > tolerated) {
    const first = errors[0]!;
    const notRun = total - succeeded - errors.length;
    return StepResult.fail(
      `map step "${step.name}": ${errors.length} of ${total} items failed (tolerated: ${tolerated})` +
        `${notRun > 0 ? `, ${notRun} not run (stopped once the map failed)` : ''}; first: item ${first.index} ` +
        `(${JSON.stringify(first.item) ?? String(first.item)})${first.step ? ` at step "${first.step}"` : ''}: ${first.error}`,
      { category: first.errorCategory, output, quality },
    );
  }
  return StepResult.ok(output, { quality });
};

async function itemsOf(step: MapStepDefinition, ctx: WorkflowContext, runtime: StepRuntime): Promise<unknown> {
  if (step.items !== null) return step.items;
  if (step.itemsFrom !== null) return step.itemsFrom(ctx, runtime);
  const [root, first, ...rest] = step.itemsPath!.split('.');
  if (root === 'params') return ctx.getParam(first!);
  let value: unknown = ctx.getOutput(first!);
  for (const key of rest) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

function describeSource(step: MapStepDefinition): string {
  if (step.itemsPath !== null) return `itemsPath "${step.itemsPath}"`;
  return step.itemsFrom !== null ? 'itemsFrom' : 'items';
}

/** How many item failures the map accepts: all with onItemError 'partial', else the larger of the count and the percentage, default 0. */
function toleratedFailures(step: MapStepDefinition, total: number): number {
  if (step.onItemError === 'partial') return total;
  const byCount = step.toleratedFailureCount ?? 0;
  const byPercentage = Math.floor(((step.toleratedFailurePercentage ?? 0) * total) / 100);
  return Math.max(byCount, byPercentage);
}

/** The iterator's defaults that the parent's params do not set (defaults < params). */
function missingDefaults(iterator: WorkflowDefinition, ctx: WorkflowContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(iterator.defaults)) {
    if (ctx.getParam(key) === undefined) out[key] = value;
  }
  return out;
}
