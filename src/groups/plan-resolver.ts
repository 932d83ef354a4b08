import { SpineError, formatProblems } from '../core/errors/spine-error';
import { topologicalOrder } from '../core/definition/topological-order';
import type { PipelineLookup } from '../core/pipeline/pipeline.types';
import { assertSafeKeys } from '../core/context/safe-values';
import type { ExecutionPolicy } from './execution-policy';
import type { PipelineGroup } from './pipeline-group';

/** A step of a plan with its params merged (group defaults < run params < step params). */
export interface PlannedStep {
  readonly name: string;
  readonly pipeline: string;
  readonly dependsOn: readonly string[];
  readonly params: Readonly<Record<string, unknown>>;
}

/** A validated group ready to run: steps in dependency order. */
export interface ExecutionPlan {
  readonly group: string;
  readonly domain: string | null;
  readonly policy: ExecutionPolicy;
  readonly params: Readonly<Record<string, unknown>>;
  readonly steps: readonly PlannedStep[];
}

/** Validates a group (duplicates, missing dependencies, cycles, unknown pipelines) and orders it. */
export class PlanResolver {
  constructor(private readonly options: { readonly pipelines?: Pick<PipelineLookup, 'has'> } = {}) {}

  /** A plan for the group with the run's params; throws one error listing every problem. */
  resolve(group: PipelineGroup, params: Readonly<Record<string, unknown>> = {}): ExecutionPlan {
    assertSafeKeys(params, `params of group "${group.name}"`);
    const problems: string[] = [];
    if (group.steps.length === 0) problems.push('it has no steps');
    const seen = new Set<string>();
    for (const step of group.steps) {
      if (seen.has(step.name)) problems.push(`step "${step.name}" is declared more than once`);
      seen.add(step.name);
      if (this.options.pipelines && !this.options.pipelines.has(step.pipeline)) {
        problems.push(`step "${step.name}": pipeline "${step.pipeline}" is not registered`);
      }
    }
    const { order, missing, cycles } = topologicalOrder(group.steps);
    for (const { node, dependency } of missing) {
      problems.push(`step "${node}" depends on "${dependency}", which is not a step of the group`);
    }
    for (const cycle of cycles) problems.push(`dependency cycle (→ means "depends on"): ${cycle.join(' → ')}`);
    if (problems.length > 0) throw new SpineError('invalid-plan', formatProblems(`Group "${group.name}"`, problems));

    const byName = new Map(group.steps.map((s) => [s.name, s]));
    const runParams = Object.freeze({ ...group.defaults, ...params });
    return Object.freeze({
      group: group.name,
      domain: group.domain,
      policy: group.policy,
      params: runParams,
      steps: Object.freeze(
        order.map((name) => {
          const step = byName.get(name)!;
          return Object.freeze({ name, pipeline: step.pipeline, dependsOn: step.dependsOn, params: Object.freeze({ ...runParams, ...step.params }) });
        }),
      ),
    });
  }
}
