import type { ChoiceStepOptions, LambdaHandler, LambdaStepOptions, MapStepOptions, PipelineStepOptions, StepDeclaration, StepDefinition, WaitStepOptions } from './step-definition';
import { Step } from './step.factory';
import { compileWorkflow } from './workflow.compiler';
import type { WorkflowDeclaration, WorkflowDefinition } from './workflow-definition';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Fluent construction of a workflow: `Workflow.builder('name').addLambda(…).build()`. */
export class WorkflowBuilder {
  private readonly declaration: Mutable<Omit<WorkflowDeclaration, 'steps'>>;
  private readonly steps: (StepDeclaration | StepDefinition)[] = [];

  constructor(name: string) {
    this.declaration = { name };
  }

  /** Sets the domain (e.g. 'finra.otc_transparency'). */
  domain(domain: string): this {
    this.declaration.domain = domain;
    return this;
  }

  /** Sets the description. */
  description(description: string): this {
    this.declaration.description = description;
    return this;
  }

  /** Sets the definition's version. */
  version(version: number): this {
    this.declaration.version = version;
    return this;
  }

  /** Params every run starts with. */
  defaults(defaults: Readonly<Record<string, unknown>>): this {
    this.declaration.defaults = defaults;
    return this;
  }

  /** The step budget of one run. */
  maxSteps(maxSteps: number): this {
    this.declaration.maxSteps = maxSteps;
    return this;
  }

  /** Appends a lambda step. */
  addLambda(name: string, handler: LambdaHandler, options?: LambdaStepOptions): this {
    return this.addStep(Step.lambda(name, handler, options));
  }

  /** Appends a pipeline step. */
  addPipeline(name: string, pipeline: string, options?: PipelineStepOptions): this {
    return this.addStep(Step.pipeline(name, pipeline, options));
  }

  /** Appends a choice step. */
  addChoice(name: string, options: ChoiceStepOptions): this {
    return this.addStep(Step.choice(name, options));
  }

  /** Appends a wait step. */
  addWait(name: string, options: WaitStepOptions): this {
    return this.addStep(Step.wait(name, options));
  }

  /** Appends a map step. */
  addMap(name: string, options: MapStepOptions): this {
    return this.addStep(Step.map(name, options));
  }

  /** Appends any step declaration. */
  addStep(step: StepDeclaration | StepDefinition): this {
    this.steps.push(step);
    return this;
  }

  /** Validates and compiles; throws one error listing every problem. */
  build(): WorkflowDefinition {
    return compileWorkflow({ ...this.declaration, steps: [...this.steps] });
  }
}
