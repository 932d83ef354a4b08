import { SpineError, formatProblems } from '../errors/spine-error';
import { ErrorPolicy } from '../policy/error-policy';
import { Step } from './step.factory';
import { topologicalOrder } from './topological-order';
import { compileWorkflow } from './workflow.compiler';
import type { WorkflowDefinition } from './workflow-definition';

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
  readonly policy?: { readonly onFailure?: 'stop' | 'continue' };
}

/**
 * A workflow that runs a v1 group's pipelines in dependency order. Under 'continue' a step whose
 * dependency failed is skipped, as the group runner does. Parallel groups run one step at a time
 * (use a map step for fan-out).
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
  return compileWorkflow({
    name: group.name,
    domain: group.domain ?? null,
    defaults: group.defaults ?? {},
    description: `Converted from v1 group "${group.name}"`,
    steps: order.map((name) => {
      const step = byName.get(name)!;
      return Step.pipeline(step.name, step.pipeline, { params: step.params ?? {}, dependsOn: step.dependsOn ?? [], onError });
    }),
  });
}
