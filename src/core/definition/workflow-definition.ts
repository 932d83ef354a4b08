import type { ParamsSpec } from '../params/param-spec';
import type { StepDeclaration, StepDefinition } from './step-definition';
import type { QualityDegradedHook, QualityTrendOptions } from '../quality/quality-trend';

/** What `Workflow.define` accepts. */
export interface WorkflowDeclaration {
  readonly name: string;
  readonly domain?: string | null;
  readonly version?: number;
  readonly description?: string | null;
  /** Params every run starts with (run params override them). */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /**
   * The params a run takes, declared as data (a workflow without a params class: YAML/JSON, or
   * `Workflow.define`): each param's type, whether it is required, its default, allowed values…
   * Runs started through `Spine` (API, CLI, console, HTTP) are converted and checked by it.
   */
  readonly params?: ParamsSpec | null;
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
  /**
   * What a run that started on another definition of this workflow (another version, or this
   * version before its structure changed) does in this process. 'pin' (default): it runs only in a
   * process that holds its exact definition (keep the old version registered to drain its runs).
   * 'continue': it continues here on this definition by step name: completed steps are kept, steps
   * after where it stood run, removed steps are ignored. Not part of the hash.
   */
  readonly onDefinitionChange?: DefinitionChangePolicy;
  /**
   * Called when a step's valid rate falls below its recent trend (`qualityTrend`) — the design's
   * alert on quality degradation; a `quality_degraded` event is recorded too. Not part of the hash.
   */
  readonly onQualityDegraded?: QualityDegradedHook;
  /** When this workflow's steps count as degraded (default: the runner's, else 5 points below the average of the last 20 executions). Not part of the hash. */
  readonly qualityTrend?: QualityTrendOptions;
}

/** What a run started on another definition of a workflow does in a process that lacks that definition. */
export type DefinitionChangePolicy = 'pin' | 'continue';

/** A compiled, validated, frozen workflow: what the runner executes. */
export interface WorkflowDefinition {
  readonly name: string;
  readonly domain: string | null;
  readonly version: number;
  readonly description: string | null;
  readonly defaults: Readonly<Record<string, unknown>>;
  /** The params it declares as data (null: none, or a params class declares them). Not part of the hash. */
  readonly params: ParamsSpec | null;
  readonly steps: readonly StepDefinition[];
  readonly maxSteps: number;
  readonly tags: readonly string[];
  /** The queue its enqueued runs go to (null: 'default'). Not part of its hash: moving a workflow to another queue does not change what it does. */
  readonly queue: string | null;
  /** A context snapshot every this many completed steps (null: only at steps marked `checkpoint`). */
  readonly checkpointEvery: number | null;
  /** Run-level timeout of each execution (null: none). */
  readonly timeoutMs: number | null;
  /** What a run started on another definition does here (see `WorkflowDeclaration.onDefinitionChange`). Not part of the hash. */
  readonly onDefinitionChange: DefinitionChangePolicy;
  /** This workflow's own degradation hook and trend (see `WorkflowDeclaration`); absent when it has none. Not part of the hash. */
  readonly onQualityDegraded?: QualityDegradedHook;
  readonly qualityTrend?: Required<QualityTrendOptions>;
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

/**
 * Finds workflows by name (map iterators given by name) and version: several versions of one
 * workflow may be registered side by side (new runs start on the highest, a run continues on its own).
 */
export interface WorkflowLookup {
  /** The highest registered version of `name`, or the version given. */
  get(name: string, version?: number): WorkflowDefinition | undefined;
  /** Every registered version of `name`, highest first (empty when unknown). A lookup without it holds one version per name (`get`'s). */
  versions?(name: string): readonly WorkflowDefinition[];
  names(): readonly string[];
}
