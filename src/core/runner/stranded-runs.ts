import { isLiveWorker, type WorkerRecord } from '../store/records/queue-record';
import { unionOf, type HeldDefinitions, type UnheldRun } from '../store/records/held-definitions';
import type { RunStatus } from '../store/records/run-record';
import { shortHash } from './run-pinning';

/** A run whose definition no live process holds: nothing will execute it until one does (or it is migrated). */
export interface StrandedRun {
  readonly runId: string;
  readonly workflowName: string;
  /** The version and definition hash it is pinned to. */
  readonly version: number;
  readonly hash: string;
  /** The application build it started on (null: not recorded). */
  readonly appVersion: string | null;
  readonly status: RunStatus;
  /** The queue it waits on (null: it runs in place, recovered by a process holding its definition). */
  readonly queue: string | null;
  /** Its top-level run when it is a distributed map's item. */
  readonly rootRunId: string | null;
  /** Since when no live process has held its definition while it waited (the later of its definition last held and the run needing a process). */
  readonly since: Date;
  readonly reason: string;
}

/** Default of `Spine.create({ strandedAfterMs })`: a minute without a holder (a restart or a rolling deploy's gap is not an alarm). */
export const STRANDED_AFTER_MS = 60_000;

/** What the live workers hold together (`isLiveWorker`). */
export function heldByLiveWorkers(workers: readonly WorkerRecord[], now: number): HeldDefinitions {
  return unionOf(workers.filter((w) => isLiveWorker(w, now)).map((w) => w.definitions));
}

/**
 * The stranded runs among runs no live worker holds (`RunHistory.listUnheldRuns`): those whose
 * definition no process has held for `afterMs` (markHeld: a worker's heartbeat, a recovering
 * process's pass) since they needed one. `here` names what the asking process holds of each
 * workflow ("version 2 (definition …)"), for the reason.
 */
export function strandedAmong(unheld: readonly UnheldRun[], now: number, afterMs: number, here: (workflow: string) => string): StrandedRun[] {
  const stranded: StrandedRun[] = [];
  for (const { run, heldAt } of unheld) {
    const needed = run.status === 'running' ? (run.leaseExpiresAt ?? run.startedAt) : (run.createdAt ?? run.startedAt);
    const since = new Date(Math.max(needed.getTime(), heldAt?.getTime() ?? 0));
    if (now - since.getTime() < afterMs) continue;
    const lastHeld = heldAt === null ? 'never recorded as held by a live process' : `last held by a live process at ${heldAt.toISOString()}`;
    stranded.push({
      runId: run.runId,
      workflowName: run.workflowName,
      version: run.workflowVersion,
      hash: run.workflowHash,
      appVersion: run.appVersion,
      status: run.status,
      queue: run.queue,
      rootRunId: run.rootRunId,
      since,
      reason:
        `no live process holds version ${run.workflowVersion} (definition ${shortHash(run.workflowHash)}) of "${run.workflowName}"` +
        `${run.appVersion === null ? '' : ` (build ${run.appVersion})`}; it was ${lastHeld}. This process holds ${here(run.workflowName)}.`,
    });
  }
  return stranded;
}

/** The commands that move stranded runs on, for a log line or a banner. */
export function strandedFixes(workflow: string, version: number): string {
  return (
    `start a worker of the build that defines version ${version} (or register that version beside the new one), ` +
    `or move its runs: \`spine migrate-runs ${workflow} --from ${version} --dry-run\`, then without --dry-run`
  );
}
