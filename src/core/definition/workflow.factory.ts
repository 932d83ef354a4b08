import { workflowFromGroup } from './group-conversion';
import { WorkflowBuilder } from './workflow.builder';
import { compileWorkflow } from './workflow.compiler';
import { END } from './workflow-definition';

/** The programmatic workflow API: `Workflow.define`, `Workflow.builder`, `Workflow.fromGroup`. */
export const WorkflowFactory = {
  /** Validates a declaration and compiles it into a frozen definition. */
  define: compileWorkflow,
  /** A fluent builder; `build()` validates and compiles. */
  builder: (name: string): WorkflowBuilder => new WorkflowBuilder(name),
  /** Converts a v1 pipeline group into an equivalent workflow. */
  fromGroup: workflowFromGroup,
  /** Route target that ends the run at once (`nextStep: Workflow.END`). */
  END,
} as const;
