import { WorkflowContext } from '../context/workflow-context';
import type { WorkflowDefinition } from '../definition/workflow-definition';
import { SpineError } from '../errors/spine-error';
import type { RunRecord, StepRecord } from '../store/records/run-record';
import { RunLedger } from './run-ledger';

/** Old step name → new step name, or null: the old step is gone in the new version (its rows stay as history and are ignored). */
export type StepRenames = Readonly<Record<string, string | null>>;

/**
 * What moving one run to another definition does, as the run would continue on it (the same
 * replay a resume does): steps whose completed rows carry over, the step it re-runs or runs next,
 * the steps after it, steps added before where it stands (not run for this run: they would run
 * out of order), and recorded steps the new definition lacks (ignored).
 */
export interface RunMovePlan {
  readonly runId: string;
  readonly status: RunRecord['status'];
  /** Completed steps whose outputs carry over (new names). */
  readonly kept: readonly string[];
  /** The step that failed or was in flight and runs again (null when the run stood between steps). */
  readonly rerun: string | null;
  /** The steps that run from where it stands, in definition order (the re-run one first when there is one). */
  readonly runs: readonly string[];
  /** Steps of the new definition before where it stands that it never ran: skipped for this run. */
  readonly skipped: readonly string[];
  /** Recorded steps the new definition does not have: their rows stay as history, ignored. */
  readonly removed: readonly string[];
  /** Renames applied to its rows (old → new). */
  readonly renames: Readonly<Record<string, string>>;
}

/**
 * Checks a step mapping against the new definition: each target is one of its steps, no two old
 * steps map to one, and null (gone) is only for a step the new definition does not have.
 * Throws naming every problem. Returns the renames (nulls dropped).
 */
export function checkRenames(where: string, renames: StepRenames, target: WorkflowDefinition): Readonly<Record<string, string>> {
  const steps = new Set(target.steps.map((s) => s.name));
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const out: Record<string, string> = {};
  for (const [from, to] of Object.entries(renames)) {
    if (from.length === 0) problems.push('an old step name is empty');
    if (to === null) {
      if (steps.has(from)) problems.push(`"${from}" is a step of version ${target.version} too; map it to null only when the new version has no such step`);
      continue;
    }
    if (typeof to !== 'string' || !steps.has(to)) problems.push(`"${from}" maps to ${JSON.stringify(to)}, which is not a step of version ${target.version} (steps: ${[...steps].join(', ')})`);
    else if (seen.has(to)) problems.push(`"${seen.get(to)}" and "${from}" both map to "${to}"; map one step to each new step`);
    else {
      seen.set(to, from);
      out[from] = to;
    }
  }
  if (problems.length > 0) throw new SpineError('invalid-argument', `${where}: ${problems.join('; ')}.`);
  return out;
}

/**
 * How `run` (with its step rows) continues on `target` once its rows are renamed. Throws
 * `invalid-argument` when a rename would merge two steps' rows (the new name has rows of its own).
 */
export function planRunMove(run: RunRecord, records: readonly StepRecord[], target: WorkflowDefinition, renames: Readonly<Record<string, string>>): RunMovePlan {
  const oldNames = new Set(records.map((r) => r.stepName));
  for (const [from, to] of Object.entries(renames)) {
    if (from !== to && oldNames.has(from) && oldNames.has(to) && renames[to] === undefined) {
      throw new SpineError('invalid-argument', `Run "${run.runId}": renaming "${from}" to "${to}" would merge their rows ("${to}" has rows of its own); map "${to}" too.`);
    }
  }
  const moved = records.map((r) => (renames[r.stepName] === undefined ? r : { ...r, stepName: renames[r.stepName]! }));
  const positions = new Map(target.steps.map((s, i) => [s.name, i]));
  const ledger = new RunLedger(run.runId, null, positions, null);
  const initial = WorkflowContext.create({ runId: run.runId, params: run.params, metadata: { workflow: target.name } });
  const { position } = ledger.replay(target.steps, moved, initial);
  const completed = new Set(moved.filter((r) => r.status === 'completed' || (r.status === 'skipped' && r.output !== null)).map((r) => r.stepName));
  const at = target.steps[position]?.name ?? null;
  const rerun = at !== null && moved.some((r) => r.stepName === at && r.status !== 'completed' && r.status !== 'skipped') ? at : null;
  const before = target.steps.slice(0, position).map((s) => s.name);
  return {
    runId: run.runId,
    status: run.status,
    kept: target.steps.map((s) => s.name).filter((name) => completed.has(name)),
    rerun,
    runs: target.steps.slice(position).map((s) => s.name),
    skipped: before.filter((name) => !completed.has(name) && !moved.some((r) => r.stepName === name)),
    removed: [...new Set(moved.map((r) => r.stepName))].filter((name) => !positions.has(name)),
    renames: Object.fromEntries(Object.entries(renames).filter(([from]) => oldNames.has(from))),
  };
}
