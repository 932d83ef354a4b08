import type { ScheduleOptions } from '../core/schedule/schedule';
import { recordHandler, recordPipeline, recordSchedule, recordWorkflow, type Constructor, type PipelineOptions, type WorkflowOptions } from './decorator-metadata';

/** Marks a class as a workflow; its decorated methods are the steps, in declaration order. */
export function WorkflowDecorator(options: WorkflowOptions): <T extends Constructor>(target: T) => void {
  return (target) => recordWorkflow(target, options);
}

/** Marks a class as the pipeline registered under `name`; it is resolved from the container and its `run` called. */
export function Pipeline(name: string, options: PipelineOptions = {}): <T extends Constructor>(target: T) => void {
  return (target) => recordPipeline(target, { name, options });
}

/**
 * Registers a method as a lambda handler that declarative workflows (YAML/JSON) name:
 * `@Handler('finra.otc_transparency.steps.validate_ingest')`. Called like a lambda step —
 * `(ctx, config, step)` — on the class's instance from the container (one per application), so
 * the class can inject services. Export the class from a discovered module or pass it to
 * `Spine.create({ handlers })`.
 */
export function Handler(name: string): MethodDecorator {
  if (typeof name !== 'string' || name.trim() === '') throw new TypeError('@Handler(name) needs the name declarative workflows call the handler by');
  return (prototype, method) => recordHandler(prototype, { name, method });
}

/**
 * Fires the `@Workflow` class on a cron schedule: `@Schedule('0 18 * * FRI', { timezone:
 * 'America/New_York', params: (fireTime) => ({ … }), catchUp: 'latest' })`. Several allowed (give
 * each a `name` then). Workers on the database fire each fire time once (see `ScheduleOptions`).
 */
export function Schedule(cron: string, options: ScheduleOptions = {}): <T extends Constructor>(target: T) => void {
  return (target) => recordSchedule(target, { cron, options });
}
