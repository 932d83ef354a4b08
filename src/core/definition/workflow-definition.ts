import type { StepDeclaration, StepDefinition } from './step-definition';

/** What `Workflow.define` accepts. */
export interface WorkflowDeclaration {
  readonly name: string;
  readonly domain?: string | null;
  readonly version?: number;
  readonly description?: string | null;
  /** Params every run starts with (run params override them). */
  readonly defaults?: Readonly<Record<string, unknown>>;
  readonly steps: readonly (StepDeclaration | StepDefinition)[];
  /** Step executions allowed per run before it fails (default 10,000); guards endless loops. */
  readonly maxSteps?: number;
  readonly tags?: readonly string[];
  /** The queue its enqueued runs go to unless the caller names one (default 'default'). */
  readonly queue?: string | null;
  /**
   * Checkpoint strategy: keep a snapshot of the run's context every this many completed steps
   * (besides steps marked `checkpoint: true`). Default: only at marked steps — every completed
   * step row is a checkpoint of the run's cursor already; snapshots serve `getCheckpoint`.
   */
  readonly checkpointEvery?: number | null;
  /**
   * Run-level timeout: an execution of the run (a start, a resume) that has not finished this many
   * milliseconds after it began fails with TIMEOUT; its running step's signal is aborted. The run
   * is resumable like any failed run (a resume gets the full time again).
   */
  readonly timeoutMs?: number | null;
}

/** A compiled, validated, frozen workflow: what the runner executes. */
export interface WorkflowDefinition {
  readonly name: string;
  readonly domain: string | null;
  readonly version: number;
  readonly description: string | null;
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly steps: readonly StepDefinition[];
  readonly maxSteps: number;
  readonly tags: readonly string[];
  /** The queue its enqueued runs go to (null: 'default'). Not part of its hash: moving a workflow to another queue does not change what it does. */
  readonly queue: string | null;
  /** A context snapshot every this many completed steps (null: only at steps marked `checkpoint`). */
  readonly checkpointEvery: number | null;
  /** Run-level timeout of each execution (null: none). */
  readonly timeoutMs: number | null;
}

/** Where a step may route to end the run at once. */
export const END = '$end';

/** Default step budget of a run. */
export const DEFAULT_MAX_STEPS = 10_000;

/** True when `value` looks like a compiled or declared workflow (it has a name and a steps array). */
export function isWorkflowLike(value: unknown): value is WorkflowDefinition {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { name?: unknown }).name === 'string' &&
    Array.isArray((value as { steps?: unknown }).steps) &&
    (value as { type?: unknown }).type === undefined
  );
}

/** Finds workflows by name (map iterators given by name). */
export interface WorkflowLookup {
  get(name: string): WorkflowDefinition | undefined;
  names(): readonly string[];
}
