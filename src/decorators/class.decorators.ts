import type { ScheduleOptions } from '../core/schedule/schedule';
import { recordPipeline, recordSchedule, recordWorkflow, type Constructor, type PipelineOptions, type WorkflowOptions } from './decorator-metadata';

/** Marks a class as a workflow; its decorated methods are the steps, in declaration order. */
export function WorkflowDecorator(options: WorkflowOptions): <T extends Constructor>(target: T) => void {
  return (target) => recordWorkflow(target, options);
}

/** Marks a class as the pipeline registered under `name`; it is resolved from the container and its `run` called. */
export function Pipeline(name: string, options: PipelineOptions = {}): <T extends Constructor>(target: T) => void {
  return (target) => recordPipeline(target, { name, options });
}

/**
 * Fires the `@Workflow` class on a cron schedule: `@Schedule('0 18 * * FRI', { timezone:
 * 'America/New_York', params: (fireTime) => ({ … }), catchUp: 'latest' })`. Several allowed (give
 * each a `name` then). Workers on the database fire each fire time once (see `ScheduleOptions`).
 */
export function Schedule(cron: string, options: ScheduleOptions = {}): <T extends Constructor>(target: T) => void {
  return (target) => recordSchedule(target, { cron, options });
}
