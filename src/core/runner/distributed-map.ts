import { reachedEnd } from '../store/records/run-record';
import type { WorkflowContext } from '../context/workflow-context';
import type { MapStepDefinition, StepRuntime } from '../definition/step-definition';
import type { WorkflowDefinition } from '../definition/workflow-definition';
import { workflowHash } from '../definition/workflow-spec';
import { messageOf } from '../errors/step-error';
import { ErrorCategory } from '../policy/error-category';
import { QualityMetrics } from '../quality/quality-metrics';
import { StepResult } from '../result/step-result';
import { DEFAULT_QUEUE, type ChildRunSummary } from '../store/records/queue-record';
import type { NewRun } from '../store/records/store-writes';
import { mapItemRunId } from './map-item-id';
import type { MapItemError, StepEnvironment } from './step-environment';
import { isThenable } from './thenable';
import { YIELDED } from './yielded.result';

/** How long a parked parent sleeps at most before it looks at its items again (their ends wake it sooner). */
export const DISTRIBUTED_MAP_RECHECK_MS = 60_000;
/** How often a parent that cannot park (a run executed in place) looks at its items: from the first to the last value. */
const POLL_MS = [50, 2_000] as const;

const FINISHED_BADLY = new Set(['failed', 'cancelled', 'stopped']);
const UNSETTLED = new Set(['queued', 'running', 'waiting']);

/**
 * A distributed map: every item is a queued run of its own (run id: the item's id, as a map run in
 * place has), created under the parent's fence, claimed and run by any worker within its queue's
 * limits. The parent looks at its items: all settled → the step's result (outputs in item order,
 * read from each completed item's last step); more failed than tolerated → the unfinished items
 * are asked to cancel and the step fails; otherwise a worker's run parks (lease released; the last
 * item to settle, or a failed one, wakes it) and a run executed in place polls.
 */
export async function distributedMap(
  step: MapStepDefinition,
  ctx: WorkflowContext,
  runtime: StepRuntime,
  env: StepEnvironment,
  items: readonly unknown[],
  iterator: WorkflowDefinition,
  tolerated: number,
  itemParams: (index: number) => Readonly<Record<string, unknown>>,
): Promise<StepResult> {
  const runQueue = env.store.queue;
  if (runQueue === null) {
    // Spine.create refuses such a workflow at start-up; a bare WorkflowRunner meets it here
    return StepResult.fail(`map step "${step.name}" distributes its items, but the ${env.store.name} store has no run queue; use the in-memory store or a database`, {
      category: ErrorCategory.CONFIGURATION,
    });
  }
  const store = { queue: runQueue, journal: env.store.journal };
  const queue = step.distribute === true ? (iterator.queue ?? DEFAULT_QUEUE) : step.distribute!;
  const total = items.length;
  const ids = items.map((_, index) => mapItemRunId(runtime.idempotencyKey, index, env.rootRunId));
  const invalid = new Map<number, MapItemError>();
  /** Items this process runs itself (a map run in place: it helps the workers with its own items). */
  const helping = new Set<Promise<unknown>>();
  const helperStop = new AbortController();
  let wake: (() => void) | null = null;
  await enqueueMissing();
  try {
    for (let poll = 0; ; poll++) {
      const children = new Map((await store.queue.listChildren(env.runId)).map((child) => [child.runId, child]));
      const settled = tally(children);
      env.mapProgress(step.name, settled.completed.length + settled.failed.length, settled.failed.length, total);
      if (settled.failed.length > tolerated || settled.unsettled === 0) {
        if (settled.failed.length > tolerated) await store.queue.cancelChildren(env.runId);
        await Promise.allSettled([...helping]);
        return await finish(tally(new Map((await store.queue.listChildren(env.runId)).map((child) => [child.runId, child]))));
      }
      if (env.parkAfterMs !== null) return env.park(env.clock.now() + DISTRIBUTED_MAP_RECHECK_MS);
      await helpWithItems();
      const signal = env.yieldSignal === null ? runtime.signal : AbortSignal.any([runtime.signal, env.yieldSignal]);
      try {
        await new Promise<void>((resolve, reject) => {
          wake = resolve;
          env.clock.sleep(helping.size > 0 ? POLL_MS[1] : Math.min(POLL_MS[1], POLL_MS[0] * 2 ** poll), signal).then(resolve, reject);
        });
      } catch (error) {
        if (runtime.signal.aborted || env.yieldSignal?.aborted !== true) throw error;
        return YIELDED; // the items run on; a resumed run looks at them again
      } finally {
        wake = null;
      }
    }
  } finally {
    // items still running here (the run stops, hands off or failed): they give way at their next step
    helperStop.abort();
    await Promise.allSettled([...helping]);
  }

  /**
   * A map run in place (no worker parks it) runs up to `maxConcurrency` of its own items itself,
   * claimed like a worker would (the queue's limits hold), so it finishes even when no worker
   * serves the items' queue; workers that do serve it share the items.
   */
  async function helpWithItems(): Promise<void> {
    const free = step.maxConcurrency - helping.size;
    if (free <= 0) return;
    const { lease, queueLimits, held } = env.services;
    const now = env.clock.now();
    const claimed = await store.queue.claimQueued({
      owner: lease.owner,
      queues: [{ name: queue, limits: queueLimits[queue] ?? {} }],
      max: free,
      now: new Date(now),
      leaseExpiresAt: new Date(now + lease.durationMs),
      held: held(),
      parentRunId: env.runId,
      clock: () => env.clock.now(),
    });
    for (const item of claimed) {
      const signals = [helperStop.signal, ...(env.yieldSignal === null ? [] : [env.yieldSignal])];
      const running: Promise<unknown> = env.services
        .runClaimed(item, { handoffSignal: AbortSignal.any(signals) })
        .catch(() => undefined) // a lost lease or a failing item is the item's own record
        .finally(() => {
          helping.delete(running);
          wake?.();
        });
      helping.add(running);
    }
  }

  /** The params of item `index` for its run, checked for the iterator; null (noted as a failed item) when they are not valid. */
  async function paramsOf(index: number): Promise<Readonly<Record<string, unknown>> | null> {
    try {
      const checked = env.itemParams(iterator, ctx, itemParams(index));
      return isThenable(checked) ? await checked : checked;
    } catch (error) {
      invalid.set(index, { index, item: items[index], step: null, error: messageOf(error), errorCategory: ErrorCategory.VALIDATION });
      return null;
    }
  }

  /**
   * Items with no run yet get one. A fresh attempt of the step (not a wake-up) first puts the
   * items that failed, were cancelled or stopped back on the queue, with the params the parent
   * gives now (a resume's params override reaches them), to resume at their failed step.
   */
  async function enqueueMissing(): Promise<void> {
    const children = new Map((await store.queue.listChildren(env.runId)).map((child) => [child.runId, child]));
    if (!env.wokeFromPark) {
      const again: { runId: string; params: Readonly<Record<string, unknown>> }[] = [];
      for (const [index, id] of ids.entries()) {
        if (!FINISHED_BADLY.has(children.get(id)?.status ?? '')) continue;
        const params = await paramsOf(index);
        if (params !== null) again.push({ runId: id, params });
      }
      if (again.length > 0) await store.queue.requeueRuns(again, env.fence, new Date(env.clock.now()));
    }
    const now = new Date(env.clock.now());
    const missing: NewRun[] = [];
    for (let index = 0; index < total; index++) {
      if (children.has(ids[index]!)) continue;
      const params = await paramsOf(index);
      if (params === null) continue;
      missing.push({
        runId: ids[index]!,
        workflowName: iterator.name,
        workflowVersion: iterator.version,
        workflowHash: workflowHash(iterator),
        appVersion: env.services.appVersion,
        domain: iterator.domain,
        params,
        partition: ctx.partition,
        batchId: ctx.batchId,
        traceId: ctx.traceId,
        asOfDate: ctx.asOfDate,
        captureId: ctx.captureId,
        idempotencyKey: ids[index]!,
        parentRunId: env.runId,
        rootRunId: env.rootRunId,
        totalSteps: iterator.steps.length,
        startedAt: now,
        leaseOwner: null,
        leaseExpiresAt: null,
        fence: env.fence,
        enqueue: { queue, priority: 0, concurrencyKey: null, notBefore: now },
      });
    }
    if (missing.length > 0) await store.queue.enqueueRuns(missing, env.fence);
  }

  function tally(children: ReadonlyMap<string, ChildRunSummary>) {
    const completed: number[] = [];
    const failed: MapItemError[] = [...invalid.values()];
    let unsettled = 0;
    let cancelled = 0;
    ids.forEach((id, index) => {
      if (invalid.has(index)) return;
      const child = children.get(id);
      if (child === undefined || UNSETTLED.has(child.status)) unsettled++;
      else if (reachedEnd(child.status)) completed.push(index);
      else if (child.status === 'cancelled')
        cancelled++; // asked to once the map failed (or its run was cancelled)
      else {
        failed.push({
          index,
          item: items[index],
          step: child.errorStep,
          error: child.error ?? `item run ended ${child.status}`,
          errorCategory: child.errorCategory ?? ErrorCategory.INTERNAL,
        });
      }
    });
    return { completed, failed, unsettled, cancelled, children };
  }

  async function finish(settled: ReturnType<typeof tally> & { readonly children: ReadonlyMap<string, ChildRunSummary> }): Promise<StepResult> {
    const { completed, failed, unsettled, cancelled, children } = settled;
    const results: unknown[] = new Array(total).fill(null);
    for (let i = 0; i < completed.length; i += 16) {
      await Promise.all(
        completed.slice(i, i + 16).map(async (index) => {
          const child = children.get(ids[index]!)!;
          const records = await store.journal.getRunSteps(child.runId);
          const last = [...records].reverse().find((r) => r.status === 'completed' && r.stepName === child.lastCompletedStep);
          results[index] = last?.output ?? null;
        }),
      );
    }
    failed.sort((a, b) => a.index - b.index);
    const succeeded = completed.length;
    const output = { results, total, succeeded, failed: failed.length, errors: failed };
    const quality = new QualityMetrics({ recordCount: total, validCount: succeeded, invalidCount: total - succeeded });
    if (failed.length > tolerated) {
      const firstError = failed[0]!;
      return StepResult.fail(
        `map step "${step.name}": ${failed.length} of ${total} items failed (tolerated: ${tolerated})` +
          `${cancelled > 0 ? `, ${cancelled} cancelled once the map failed` : ''}` +
          `${unsettled > 0 ? `, ${unsettled} still finishing elsewhere (asked to cancel)` : ''}; first: item ${firstError.index} ` +
          `(${JSON.stringify(firstError.item) ?? String(firstError.item)})${firstError.step ? ` at step "${firstError.step}"` : ''}: ${firstError.error}`,
        { category: firstError.errorCategory, output, quality },
      );
    }
    return StepResult.ok(output, { quality });
  }
}
