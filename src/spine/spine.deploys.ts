import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isWorkflowLike, type WorkflowDefinition } from '../core/definition/workflow-definition';
import { workflowHash } from '../core/definition/workflow-spec';
import { SpineError } from '../core/errors/spine-error';
import type { SpineLogger } from '../core/logging/logger.port';
import { checkRenames, planRunMove, type RunMovePlan, type StepRenames } from '../core/runner/run-migration';
import { heldVersions, migratedEvent, recordRunEvent } from '../core/runner/run-pinning';
import { heldByLiveWorkers, STRANDED_AFTER_MS, strandedAmong, strandedFixes, type StrandedRun } from '../core/runner/stranded-runs';
import type { WorkflowRunner } from '../core/runner/workflow-runner';
import type { SpineStore } from '../core/store/ports/spine-store';
import { holds } from '../core/store/records/held-definitions';
import { FINAL_STATUSES, type RunRecord, type RunStatus } from '../core/store/records/run-record';
import type { WorkflowRegistry } from '../discovery/workflow.registry';

/** Options of `spine.migrateRuns`. */
export interface MigrateRunsOptions {
  /** The version whose unfinished runs move. */
  readonly from: number;
  /** The version they move to (default: the newest registered). */
  readonly to?: number;
  /** Old step name → new step name (null: gone in the new version). Unmapped steps keep their names. */
  readonly steps?: StepRenames;
  /** Only report what would happen; nothing changes. */
  readonly dryRun?: boolean;
  /** Told of each run as it is planned (and moved): progress for a long migration. */
  readonly onRun?: (run: MigratedRun) => void;
}

/** One run of a migration: its plan, and whether it moved (or why not). */
export interface MigratedRun extends RunMovePlan {
  readonly moved: boolean;
  /** Why it was left where it is (held by a live process, changed meanwhile, a rename that would merge rows). */
  readonly problem: string | null;
  /** Items of its distributed maps moved to the new iterator definition with it. */
  readonly itemsMoved: number;
}

/** What `spine.migrateRuns` did (or, with `dryRun`, would do). */
export interface MigrationResult {
  readonly workflow: string;
  readonly from: number;
  readonly to: number;
  readonly toHash: string;
  readonly dryRun: boolean;
  readonly runs: readonly MigratedRun[];
  readonly moved: number;
  readonly left: number;
}

/** Statuses a migration moves: every unfinished one. */
const UNFINISHED: readonly RunStatus[] = ['queued', 'waiting', 'running', 'failed', 'stopped'];
const PAGE = 200;

/**
 * The application's build, as runs and workers record it: the option, else `SPINE_APP_VERSION`,
 * else the version in the nearest package.json above the working directory, else null.
 */
export function resolveAppVersion(option: string | null | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | null {
  if (option !== undefined) return option;
  const fromEnv = env.SPINE_APP_VERSION?.trim();
  if (fromEnv) return fromEnv;
  for (let dir = cwd; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
        return typeof version === 'string' && version.length > 0 && version.length <= 255 ? version : null;
      } catch {
        return null;
      }
    }
    if (dirname(dir) === dir) return null;
  }
}

/**
 * Deploys with runs in flight: which runs are stranded (no live process holds their definition),
 * reported once per run in the log and as a metric; and the explicit migration of a version's
 * runs to another.
 */
export class SpineDeploys {
  /** Runs already logged as stranded by this process. */
  private readonly reported = new Set<string>();
  private unobserve: (() => void) | null = null;

  constructor(
    private readonly runner: WorkflowRunner,
    private readonly store: SpineStore,
    private readonly registry: WorkflowRegistry,
    private readonly logger: SpineLogger,
    readonly strandedAfterMs: number,
    /** What this process takes on itself: runs in place when it recovers them, queued runs when it is a worker. */
    private readonly takes: () => { readonly recovers: boolean; readonly works: boolean },
  ) {
    SpineDeploys.check(strandedAfterMs);
  }

  /** Checks `Spine.create({ strandedAfterMs })`. */
  static check(strandedAfterMs: unknown): void {
    if (!(typeof strandedAfterMs === 'number' && Number.isFinite(strandedAfterMs) && strandedAfterMs >= 0)) {
      throw new SpineError('invalid-argument', `strandedAfterMs must be a number ≥ 0 (got ${String(strandedAfterMs)}); 0 reports a run as soon as no live process holds its definition.`);
    }
  }

  static readonly DEFAULT_AFTER_MS = STRANDED_AFTER_MS;

  /**
   * Runs whose definition no live process holds (live workers', and this process's when it
   * recovers runs), longer than `strandedAfterMs`. `maxAgeMs`: an answer at most this old is reused
   * (the console asks on every page; the query reads every unfinished run).
   */
  async strandedRuns(options: { readonly limit?: number; readonly maxAgeMs?: number } = {}): Promise<StrandedRun[]> {
    const now = this.runner.clock.now();
    const limit = options.limit ?? 1_000;
    const cached = this.cached;
    if (options.maxAgeMs !== undefined && cached !== null && cached.limit === limit && now - cached.at <= options.maxAgeMs) return cached.runs;
    const runs = await this.readStranded(now, limit);
    this.cached = { at: now, limit, runs };
    return runs;
  }

  private cached: { readonly at: number; readonly limit: number; readonly runs: StrandedRun[] } | null = null;

  private async readStranded(now: number, limit: number): Promise<StrandedRun[]> {
    const workers = this.store.queue === null ? [] : await this.store.queue.listWorkers();
    const held = heldByLiveWorkers(workers, now);
    const unheld = await this.store.history.listUnheldRuns(held, new Date(now), limit);
    const { recovers, works } = this.takes();
    const mine = this.runner.definitions.held();
    const others = unheld.filter(({ run }) => !(holds(mine, run) && (run.queue === null ? recovers : works)));
    return strandedAmong(others, now, this.strandedAfterMs, (name) => heldVersions(this.registry, name));
  }

  /** Logs each newly stranded run once (a warning naming the fix); called by the recovery pass and a worker's heartbeat. */
  async report(): Promise<void> {
    const stranded = await this.strandedRuns();
    const now = new Set(stranded.map((s) => s.runId));
    for (const run of stranded) {
      if (this.reported.has(run.runId)) continue;
      this.reported.add(run.runId);
      this.logger.warn(
        { runId: run.runId, workflow: run.workflowName, version: run.version, hash: run.hash, appVersion: run.appVersion, status: run.status },
        `run ${run.runId} of ${run.workflowName} is stranded (${run.status}, since ${run.since.toISOString()}): ${run.reason} Fix: ${strandedFixes(run.workflowName, run.version)}.`,
      );
    }
    for (const runId of this.reported) if (!now.has(runId)) this.reported.delete(runId);
  }

  /** Reports `spine.runs.stranded` per workflow whenever metrics are collected. */
  observe(): void {
    this.unobserve ??=
      this.runner.telemetry?.observeStranded(async () => {
        const counts = new Map<string, number>();
        for (const run of await this.strandedRuns()) counts.set(run.workflowName, (counts.get(run.workflowName) ?? 0) + 1);
        return counts;
      }) ?? null;
  }

  close(): void {
    this.unobserve?.();
    this.unobserve = null;
  }

  /**
   * Moves the unfinished top-level runs of `name` started on version `from` to version `to`
   * (default the newest registered), one at a time: each is moved only while no live lease holds
   * it (its epoch goes up, fencing off a stale execution), with its step rows renamed per `steps`
   * and its distributed maps' unfinished items moved to the new iterator. Runs moved before are no
   * longer on `from`: a migration stopped halfway continues where it stopped when run again.
   */
  async migrateRuns(name: string, options: MigrateRunsOptions): Promise<MigrationResult> {
    const where = `migrateRuns("${name}")`;
    if (this.registry.get(name) === undefined) {
      throw new SpineError('unknown-workflow', `${where}: workflow "${name}" is not registered here; run the migration from the application that defines its new version.`);
    }
    const { from } = options;
    if (!(Number.isInteger(from) && from >= 1)) throw new SpineError('invalid-argument', `${where}: from must be a version number ≥ 1 (got ${JSON.stringify(from)}).`);
    const target = this.registry.get(name, options.to);
    if (target === undefined) {
      throw new SpineError('invalid-argument', `${where}: version ${String(options.to)} of "${name}" is not registered here (registered: ${heldVersions(this.registry, name)}).`);
    }
    if (target.version === from && options.to !== undefined) throw new SpineError('invalid-argument', `${where}: from and to are both version ${from}; name two versions.`);
    const renames = checkRenames(where, options.steps ?? {}, target);
    const dryRun = options.dryRun === true;
    const toHash = workflowHash(target);
    const runs: MigratedRun[] = [];
    for await (const run of this.runsOf(name, from, toHash)) {
      const done = await this.moveOne(run, target, renames, dryRun);
      runs.push(done);
      options.onRun?.(done);
    }
    const moved = runs.filter((r) => r.moved).length;
    return { workflow: name, from, to: target.version, toHash, dryRun, runs, moved, left: runs.length - moved };
  }

  /** Unfinished top-level runs of `name` on version `from` (not already on the target), page by page. */
  private async *runsOf(name: string, from: number, toHash: string): AsyncGenerator<RunRecord> {
    let before: RunRecord | undefined;
    for (;;) {
      const page = await this.store.history.listRuns({ workflow: name, status: UNFINISHED, limit: PAGE, ...(before && { before: { startedAt: before.startedAt, runId: before.runId } }) });
      for (const run of page) if (run.workflowVersion === from && run.workflowHash !== toHash) yield run;
      if (page.length < PAGE) return;
      before = page[page.length - 1];
    }
  }

  private async moveOne(run: RunRecord, target: WorkflowDefinition, renames: Readonly<Record<string, string>>, dryRun: boolean): Promise<MigratedRun> {
    const now = this.runner.clock.now();
    let plan: RunMovePlan;
    try {
      plan = planRunMove(run, await this.store.journal.getRunSteps(run.runId), target, renames);
    } catch (error) {
      return { ...emptyPlan(run), moved: false, problem: (error as Error).message, itemsMoved: 0 };
    }
    const held = run.leaseOwner !== null && run.leaseExpiresAt !== null && run.leaseExpiresAt.getTime() > now;
    if (held)
      return {
        ...plan,
        moved: false,
        problem: `held by ${run.leaseOwner} until ${run.leaseExpiresAt!.toISOString()}: it moves once that process stops or hands it off (run the migration again)`,
        itemsMoved: 0,
      };
    if (dryRun) return { ...plan, moved: false, problem: null, itemsMoved: 0 };
    const to = { version: target.version, hash: workflowHash(target), totalSteps: target.steps.length };
    const moved = await this.store.journal.moveRun(run.runId, { fromHash: run.workflowHash, to, renames: plan.renames, fence: null }, new Date(now));
    if (moved === null) return { ...plan, moved: false, problem: 'it changed meanwhile (claimed, finished or moved by another process); run the migration again', itemsMoved: 0 };
    const itemsMoved = await this.moveItems(run, target, now);
    await recordRunEvent(this.store, migratedEvent(run, to, 'migrate', plan.renames, now), null, this.logger);
    return { ...plan, moved: true, problem: null, itemsMoved };
  }

  /** The unfinished items of the run's distributed maps move to the iterator the new definition's map step runs (when it changed). */
  private async moveItems(run: RunRecord, target: WorkflowDefinition, now: number): Promise<number> {
    const iterators = target.steps.flatMap((step) => (step.type === 'map' && step.distribute !== null ? iteratorOf(this.registry, step.iterator) : []));
    if (iterators.length === 0) return 0;
    let moved = 0;
    const items = await this.store.history.listRuns({ parentRunId: run.runId, status: UNFINISHED });
    for (const item of items) {
      const iterator = iterators.find((i) => i.name === item.workflowName);
      if (iterator === undefined || FINAL_STATUSES.includes(item.status)) continue;
      const hash = workflowHash(iterator);
      if (hash === item.workflowHash) continue;
      const to = { version: iterator.version, hash, totalSteps: iterator.steps.length };
      if ((await this.store.journal.moveRun(item.runId, { fromHash: item.workflowHash, to, renames: {}, fence: null }, new Date(now))) !== null) moved++;
    }
    return moved;
  }
}

/** A distributed map's iterator workflow: registered by name, or given inline (compiled with its parent). */
function iteratorOf(registry: WorkflowRegistry, iterator: unknown): WorkflowDefinition[] {
  const found = typeof iterator === 'string' ? registry.get(iterator) : isWorkflowLike(iterator) ? iterator : undefined;
  return found === undefined ? [] : [found];
}

function emptyPlan(run: RunRecord): RunMovePlan {
  return { runId: run.runId, status: run.status, kept: [], rerun: null, runs: [], skipped: [], removed: [], renames: {} };
}
