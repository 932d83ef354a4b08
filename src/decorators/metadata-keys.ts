/** Every metadata key the decorators write, namespaced so they never clash with another library's. */
export const WORKFLOW_METADATA = Symbol.for('spine-orchestration:workflow');
/** The step methods of a workflow class, in declaration order. */
export const WORKFLOW_STEPS_METADATA = Symbol.for('spine-orchestration:workflow-steps');
/** The pipeline name and options of a `@Pipeline` class. */
export const PIPELINE_METADATA = Symbol.for('spine-orchestration:pipeline');
/** The schedules of a `@Workflow` class (`@Schedule`), in declaration order. */
export const SCHEDULES_METADATA = Symbol.for('spine-orchestration:schedules');
/** The `@Handler` methods of a class: handler name → method. */
export const HANDLERS_METADATA = Symbol.for('spine-orchestration:handlers');
