import type { StepDefinition } from '../definition/step-definition';
import { compileStep, compileWorkflow, isCompiledWorkflow } from '../definition/workflow.compiler';
import { isWorkflowLike, type WorkflowDefinition, type WorkflowLookup } from '../definition/workflow-definition';
import { SpineError } from '../errors/spine-error';
import { unknownPipeline } from '../pipeline/in-process.dispatcher';
import type { Dispatcher } from '../pipeline/pipeline.types';
import { RECORD_LIMITS } from '../store/record-limits';

/**
 * Resolves map iterators (a workflow, a single step, or a workflow's name) and checks a workflow
 * against what a runner can run: pipelines its dispatcher knows, iterators it can find, maps that
 * do not nest themselves and stay within the nesting limit.
 */
export class WorkflowChecks {
  private readonly iterators = new WeakMap<StepDefinition, WorkflowDefinition>();

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly workflows: WorkflowLookup | null,
  ) {}

  /** The workflow a map step runs per item. */
  iteratorWorkflow(iterator: WorkflowDefinition | StepDefinition | string): WorkflowDefinition {
    if (typeof iterator === 'string') {
      const found = this.workflows?.get(iterator);
      if (found === undefined) throw new SpineError('unknown-workflow', unknownWorkflowMessage(iterator, this.workflows));
      return compileWorkflow(found);
    }
    if (isWorkflowLike(iterator)) return isCompiledWorkflow(iterator) ? iterator : compileWorkflow(iterator);
    let wrapped = this.iterators.get(iterator);
    if (wrapped === undefined) {
      const step = compileStep(iterator);
      wrapped = compileWorkflow({ name: step.name, steps: [step] });
      this.iterators.set(iterator, wrapped);
    }
    return wrapped;
  }

  /** Every problem of `definition` and the workflows its map steps run (empty when it can run here). */
  problems(definition: WorkflowDefinition): string[] {
    const problems: string[] = [];
    this.collect(definition, '', problems, [definition], new Set());
    return problems;
  }

  /** Unknown workflow named `name`: the sentence that says so and lists the known ones. */
  unknownWorkflow(name: string): string {
    return unknownWorkflowMessage(name, this.workflows);
  }

  private collect(definition: WorkflowDefinition, prefix: string, problems: string[], path: WorkflowDefinition[], checked: Set<WorkflowDefinition>): void {
    const first = !checked.has(definition);
    checked.add(definition);
    for (const step of definition.steps) {
      if (first && step.type === 'pipeline' && !this.dispatcher.has(step.pipeline)) {
        problems.push(`${prefix}step "${step.name}": ${unknownPipeline(step.pipeline, this.dispatcher.names()).message}`);
      }
      if (step.type !== 'map') continue;
      const where = `${prefix}step "${step.name}" iterator: `;
      if (first && step.distribute !== null && typeof step.iterator !== 'string' && !isWorkflowLike(step.iterator)) {
        // workers claim runs by workflow name and run only the workflows they registered: an inline
        // step has no name of its own that every deploy agrees on, so its items could wait for ever
        problems.push(
          `${prefix}step "${step.name}" distributes its items to workers, but its iterator is an inline step ("${step.iterator.name}"): ` +
            'a worker runs only workflows registered by name. Make the iterator a workflow (Workflow.define({ name, steps: [...] }) ' +
            'or a @Workflow class) and register it, or drop distribute to run the items in this process.',
        );
        continue;
      }
      if (typeof step.iterator === 'string' && this.workflows?.get(step.iterator) === undefined) {
        if (first) problems.push(`${where}${unknownWorkflowMessage(step.iterator, this.workflows)}`);
        continue;
      }
      const iterator = this.iteratorWorkflow(step.iterator);
      const chain = (): string => [...path, iterator].map((w) => w.name).join(' → ');
      if (path.includes(iterator)) {
        problems.push(
          `${where}workflow "${iterator.name}" maps over itself (${chain()}): each item would start the same map ` +
            'again, without end. A map must not run its own workflow, directly or through others.',
        );
        continue;
      }
      // `path` holds one workflow per map level so far: this map's items would run at that depth
      if (path.length > RECORD_LIMITS.mapDepth) {
        problems.push(`${where}maps are nested ${path.length} levels deep (${chain()}); at most ${RECORD_LIMITS.mapDepth} are allowed.`);
        continue;
      }
      this.collect(iterator, where, problems, [...path, iterator], checked);
    }
  }
}

function unknownWorkflowMessage(name: string, workflows: WorkflowLookup | null): string {
  if (workflows === null) return `workflow "${name}" cannot be found: the runner has no workflow lookup; pass { workflows } to the WorkflowRunner.`;
  const known = workflows.names();
  return `workflow "${name}" is not registered. ${known.length > 0 ? `Known workflows: ${known.join(', ')}.` : 'No workflows are registered.'}`;
}
