import { SpineError, formatProblems } from '../errors/spine-error';
import { ErrorPolicy } from '../policy/error-policy';
import type { StepDeclaration } from './step-definition';
import { Step } from './step.factory';
import { topologicalOrder } from './topological-order';
import { compileWorkflow } from './workflow.compiler';
import { END, type WorkflowDefinition } from './workflow-definition';

/** The shape of a v1 pipeline group that `Workflow.fromGroup` converts (what `PipelineGroup` has). */
export interface GroupShape {
  readonly name: string;
  readonly domain?: string | null;
  readonly defaults?: Readonly<Record<string, unknown>>;
  readonly steps: readonly {
    readonly name: string;
    readonly pipeline: string;
    readonly dependsOn?: readonly string[];
    readonly params?: Readonly<Record<string, unknown>>;
  }[];
  /** `ExecutionPolicy`: sequential (the default) or parallel with at most `maxConcurrency` steps at once. */
  readonly policy?: { readonly onFailure?: 'stop' | 'continue'; readonly mode?: 'sequential' | 'parallel'; readonly maxConcurrency?: number };
}

/** The param a parallel level's map item names its group step under. */
export const GROUP_STEP_PARAM = 'group_step';

type GroupStep = GroupShape['steps'][number];

/**
 * A workflow that runs a v1 group's pipelines in dependency order. Under 'continue' a step whose
 * dependency failed is skipped, as the group runner does.
 *
 * A parallel group keeps its parallelism: its steps are laid out in levels (a step's level is one
 * more than its deepest dependency's), a level of one step is that pipeline step, and a level of
 * several is a map step named after them (`rank+calendar`) whose items run their pipelines at most
 * `maxConcurrency` at a time, each as a durable item run of its own. A level starts once the levels
 * before it finished (v1 started a step as soon as its own dependencies had); the members'
 * outputs are the map's `results`, in the level's order. A failed member fails its level: under
 * 'stop' the run fails there (a resume re-runs only the members that did not complete); under
 * 'continue' the steps that depend on any member of that level are skipped.
 */
export function workflowFromGroup(group: GroupShape): WorkflowDefinition {
  const nodes = group.steps.map((s) => ({ name: s.name, dependsOn: s.dependsOn ?? [] }));
  const { order, missing, cycles } = topologicalOrder(nodes);
  const problems = [
    ...missing.map((m) => `step "${m.node}" depends on "${m.dependency}", which is not in the group`),
    ...cycles.map((c) => `dependency cycle (→ means "depends on"): ${c.join(' → ')}`),
  ];
  if (problems.length > 0) throw new SpineError('invalid-plan', formatProblems(`Group "${group.name}"`, problems));
  const byName = new Map(group.steps.map((s) => [s.name, s]));
  const onError = group.policy?.onFailure === 'continue' ? ErrorPolicy.CONTINUE : ErrorPolicy.STOP;
  // a map item's pipeline fails its item (the map's own policy is the group's)
  const pipelineStep = (step: GroupStep, dependsOn: readonly string[], next?: string) =>
    Step.pipeline(step.name, step.pipeline, { params: step.params ?? {}, dependsOn: [...dependsOn], ...(next === undefined ? { onError } : { next }) });
  const parallel = group.policy?.mode === 'parallel' && (group.policy.maxConcurrency ?? 1) > 1;
  return compileWorkflow({
    name: group.name,
    domain: group.domain ?? null,
    defaults: group.defaults ?? {},
    description: `Converted from v1 group "${group.name}"${parallel ? ` (parallel, ≤ ${group.policy!.maxConcurrency} at a time)` : ''}`,
    steps: parallel ? parallelLevels(order, byName, group.policy!.maxConcurrency!, onError, pipelineStep) : order.map((name) => pipelineStep(byName.get(name)!, byName.get(name)!.dependsOn ?? [])),
  });
}

/** A parallel group's steps: one per level, a map where the level has several steps. */
function parallelLevels(
  order: readonly string[],
  byName: ReadonlyMap<string, GroupStep>,
  maxConcurrency: number,
  onError: ErrorPolicy,
  pipelineStep: (step: GroupStep, dependsOn: readonly string[], next?: string) => StepDeclaration,
): StepDeclaration[] {
  const levelOf = new Map<string, number>();
  for (const name of order) levelOf.set(name, 1 + Math.max(-1, ...(byName.get(name)!.dependsOn ?? []).map((d) => levelOf.get(d)!)));
  const levels: string[][] = [];
  for (const name of order) (levels[levelOf.get(name)!] ??= []).push(name);
  const names = levels.map((members) => (members.length === 1 ? members[0]! : members.join('+')));
  const stepOf = new Map<string, string>(levels.flatMap((members, i) => members.map((m) => [m, names[i]!] as const)));
  // what a level waits for: the steps (or maps) holding its members' dependencies
  const dependsOnOf = (members: readonly string[]) => [...new Set(members.flatMap((m) => (byName.get(m)!.dependsOn ?? []).map((d) => stepOf.get(d)!)))];
  return levels.map((members, i) => {
    if (members.length === 1) return pipelineStep(byName.get(members[0]!)!, dependsOnOf(members));
    // each item routes to its member's pipeline: a choice per member but the last, which is where the last choice otherwise goes
    const routes = members
      .slice(0, -1)
      .map((m, j) =>
        Step.choice(`route to ${m}`, { when: (ctx) => ctx.getParam(GROUP_STEP_PARAM) === m, then: m, otherwise: j + 1 < members.length - 1 ? `route to ${members[j + 1]}` : members[j + 1]! }),
      );
    return Step.map(names[i]!, {
      items: members,
      itemParam: GROUP_STEP_PARAM,
      maxConcurrency: Math.min(maxConcurrency, members.length),
      dependsOn: dependsOnOf(members),
      onError,
      description: `v1 steps ${members.join(', ')} in parallel`,
      iterator: { steps: [...routes, ...members.map((m) => pipelineStep(byName.get(m)!, [], END))] },
    });
  });
}
