import type { ScheduleOptions } from '../core/schedule/schedule';
import 'reflect-metadata';
import type { ChoiceStepOptions, ItemsFactory, LambdaStepOptions, MapStepOptions, PipelineStepOptions, WaitStepOptions } from '../core/definition/step-definition';
import type { DefinitionChangePolicy, WorkflowDefinition } from '../core/definition/workflow-definition';
import { PIPELINE_METADATA, WORKFLOW_METADATA, WORKFLOW_STEPS_METADATA, SCHEDULES_METADATA, HANDLERS_METADATA } from './metadata-keys';

/** A class constructor, as decorators see it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Constructor<T = unknown> = abstract new (...args: any[]) => T;

/** Options of `@Workflow`. */
export interface WorkflowOptions {
  readonly name: string;
  readonly domain?: string;
  readonly description?: string;
  readonly version?: number;
  /** A class-validator DTO: run params are converted to it and validated before a run starts. */
  readonly params?: Constructor;
  readonly defaults?: Readonly<Record<string, unknown>>;
  readonly maxSteps?: number;
  readonly tags?: readonly string[];
  /** The queue `spine.enqueue` puts its runs on unless told otherwise (default 'default'). */
  readonly queue?: string;
  /** A context snapshot every this many completed steps (besides steps marked `checkpoint: true`). */
  readonly checkpointEvery?: number;
  /** Run-level timeout of each execution (see `WorkflowDeclaration.timeoutMs`). */
  readonly timeoutMs?: number;
  /** What a run started on another definition of this workflow does here (see `WorkflowDeclaration.onDefinitionChange`; default 'pin'). */
  readonly onDefinitionChange?: DefinitionChangePolicy;
}

/** Options of `@LambdaStep`. */
export interface LambdaStepDecoratorOptions extends LambdaStepOptions {
  /** Step name (default: the method name). */
  readonly name?: string;
}

/** Options of `@PipelineStep` when given as an object. */
export interface PipelineStepDecoratorOptions extends Omit<PipelineStepOptions, 'paramsFrom'> {
  readonly name?: string;
  readonly pipeline: string;
}

/** Options of `@Choice`: the method is the condition. */
export interface ChoiceDecoratorOptions extends Omit<ChoiceStepOptions, 'when'> {
  readonly name?: string;
}

/** Options of `@Wait`: `seconds`, or none (the method returns the wake-up time). */
export interface WaitDecoratorOptions extends Omit<WaitStepOptions, 'until'> {
  readonly name?: string;
}

/** Options of `@WaitForSignal`: the signal's `name` (default: the method's name), its timeout and what it does. */
export interface WaitForSignalDecoratorOptions {
  readonly name?: string;
  readonly timeoutMs?: number | null;
  readonly onTimeout?: 'fail' | 'continue';
  readonly description?: string;
}

/** A map iterator as a decorator takes it: a `@Workflow` class, a workflow name, or a definition. */
export type MapIteratorRef = Constructor | string | WorkflowDefinition;

/**
 * Options of `@MapStep`. `itemsFrom` may be a path ('params.tiers', 'outputs.step.key') or a
 * function; without `items` / `itemsFrom`, the method itself returns the items.
 */
export interface MapStepDecoratorOptions extends Omit<MapStepOptions, 'iterator' | 'itemsFrom' | 'itemsPath'> {
  readonly name?: string;
  readonly itemsFrom?: string | ItemsFactory;
  readonly iterator: MapIteratorRef;
}

/** Options of `@Pipeline`. */
export interface PipelineOptions {
  readonly description?: string;
}

/** One decorated method as recorded (nothing is checked or compiled yet). */
export type StepMetadata =
  | { readonly kind: 'lambda'; readonly method: string | symbol; readonly isMethod: boolean; readonly options: LambdaStepDecoratorOptions }
  | { readonly kind: 'pipeline'; readonly method: string | symbol; readonly isMethod: boolean; readonly options: PipelineStepDecoratorOptions }
  | { readonly kind: 'choice'; readonly method: string | symbol; readonly isMethod: boolean; readonly options: ChoiceDecoratorOptions }
  | { readonly kind: 'wait'; readonly method: string | symbol; readonly isMethod: boolean; readonly options: WaitDecoratorOptions }
  | { readonly kind: 'map'; readonly method: string | symbol; readonly isMethod: boolean; readonly options: MapStepDecoratorOptions };

/** What `@Pipeline` recorded. */
export interface PipelineMetadata {
  readonly name: string;
  readonly options: PipelineOptions;
}

/** Appends a step to the class's own list (a subclass never writes into its parent's list). */
export function recordStep(target: object, step: StepMetadata): void {
  const steps = Reflect.getOwnMetadata(WORKFLOW_STEPS_METADATA, target) as StepMetadata[] | undefined;
  Reflect.defineMetadata(WORKFLOW_STEPS_METADATA, [...(steps ?? []), step], target);
}

/** Records `@Workflow` options on a class. */
/** What `@Schedule` recorded. */
export interface ScheduleMetadata {
  readonly cron: string;
  readonly options: ScheduleOptions;
}

/** Records a `@Schedule` on a class (several allowed, kept in declaration order). */
export function recordSchedule(target: Constructor, schedule: ScheduleMetadata): void {
  const existing = (Reflect.getOwnMetadata(SCHEDULES_METADATA, target) as ScheduleMetadata[] | undefined) ?? [];
  // class decorators apply bottom-up: put this one first so the list reads top-down
  Reflect.defineMetadata(SCHEDULES_METADATA, [schedule, ...existing], target);
}

export function recordWorkflow(target: Constructor, options: WorkflowOptions): void {
  Reflect.defineMetadata(WORKFLOW_METADATA, options, target);
}

/** A `@Handler` method: the name declarative workflows call it by. */
export interface HandlerMetadata {
  readonly name: string;
  readonly method: string | symbol;
}

/** Records a `@Handler` method on its class. */
export function recordHandler(prototype: object, handler: HandlerMetadata): void {
  const type = (prototype as { constructor: Constructor }).constructor;
  const existing = (Reflect.getOwnMetadata(HANDLERS_METADATA, type) as HandlerMetadata[] | undefined) ?? [];
  Reflect.defineMetadata(HANDLERS_METADATA, [...existing, handler], type);
}

/** Records `@Pipeline` on a class. */
export function recordPipeline(target: Constructor, metadata: PipelineMetadata): void {
  Reflect.defineMetadata(PIPELINE_METADATA, metadata, target);
}

/** The one accessor of recorded metadata (discovery and compilation read through it). */
export const DecoratorMetadata = {
  schedules(target: unknown): readonly ScheduleMetadata[] {
    return typeof target === 'function' ? ((Reflect.getOwnMetadata(SCHEDULES_METADATA, target) as ScheduleMetadata[] | undefined) ?? []) : [];
  },
  workflow(target: unknown): WorkflowOptions | undefined {
    return typeof target === 'function' ? (Reflect.getOwnMetadata(WORKFLOW_METADATA, target) as WorkflowOptions | undefined) : undefined;
  },
  steps(target: unknown): readonly StepMetadata[] {
    if (typeof target !== 'function') return [];
    return (Reflect.getOwnMetadata(WORKFLOW_STEPS_METADATA, target.prototype) as StepMetadata[] | undefined) ?? [];
  },
  staticSteps(target: unknown): readonly StepMetadata[] {
    if (typeof target !== 'function') return [];
    return (Reflect.getOwnMetadata(WORKFLOW_STEPS_METADATA, target) as StepMetadata[] | undefined) ?? [];
  },
  pipeline(target: unknown): PipelineMetadata | undefined {
    return typeof target === 'function' ? (Reflect.getOwnMetadata(PIPELINE_METADATA, target) as PipelineMetadata | undefined) : undefined;
  },
  isWorkflowClass(target: unknown): target is Constructor {
    return DecoratorMetadata.workflow(target) !== undefined;
  },
  handlers(target: unknown): readonly HandlerMetadata[] {
    return typeof target === 'function' ? ((Reflect.getOwnMetadata(HANDLERS_METADATA, target) as HandlerMetadata[] | undefined) ?? []) : [];
  },
  isHandlerClass(target: unknown): target is Constructor {
    return DecoratorMetadata.handlers(target).length > 0;
  },
  isPipelineClass(target: unknown): target is Constructor {
    return DecoratorMetadata.pipeline(target) !== undefined;
  },
} as const;
