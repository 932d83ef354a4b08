import type { Container } from 'inversify';
import type { Clock } from '../core/clock/clock.port';
import type { WorkflowDeclaration, WorkflowDefinition } from '../core/definition/workflow-definition';
import type { PipelineLookup } from '../core/pipeline/pipeline.types';
import type { RetryPolicy, RetryPolicyOptions } from '../core/policy/retry-policy';
import type { RunEventListener } from '../core/runner/run-event';
import type { StepMiddleware } from '../core/runner/step-middleware';
import type { RunStore } from '../core/store/run-store.port';
import type { Constructor } from '../decorators/decorator-metadata';

/** Where `Spine` tells about things that are not errors (a glob that matched nothing). */
export interface SpineLogger {
  warn(message: string): void;
}

/** What `Spine.create` takes; every field is optional. */
export interface SpineOptions {
  /** The inversify container to resolve workflows, pipelines and their services from (one is made when absent). */
  readonly container?: Container;
  /** `@Workflow` classes and `Workflow.define(...)` definitions. */
  readonly workflows?: readonly (Constructor | WorkflowDefinition | WorkflowDeclaration)[];
  /** `@Pipeline` classes and registries (a `PipelineRegistry` or any `PipelineLookup`). */
  readonly pipelines?: readonly (Constructor | PipelineLookup)[];
  /** Globs of modules to import at start-up; their exported decorated classes are registered. */
  readonly discover?: readonly string[];
  /** The directory globs are relative to (default: the process's working directory). */
  readonly cwd?: string;
  /** 'memory' keeps runs in this process (durable stores arrive with the persistence adapter). */
  readonly database?: 'memory';
  /** A run store of your own (overrides `database`). */
  readonly store?: RunStore;
  readonly middleware?: readonly StepMiddleware[];
  readonly onEvent?: RunEventListener;
  readonly defaultRetry?: RetryPolicy | RetryPolicyOptions;
  readonly defaultTimeoutMs?: number;
  readonly clock?: Clock;
  /** Default: console. */
  readonly logger?: SpineLogger;
}
