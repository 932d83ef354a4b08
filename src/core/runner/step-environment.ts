import type { ErrorCategory } from '../policy/error-category';
import type { Clock } from '../clock/clock.port';
import type { WorkflowContext } from '../context/workflow-context';
import type { StepDefinition, StepRuntime } from '../definition/step-definition';
import type { WorkflowDefinition } from '../definition/workflow-definition';
import type { Dispatcher } from '../pipeline/pipeline.types';
import type { StepResult } from '../result/step-result';
import type { Fence, MapItemRecord } from '../store/records/run-record';
import type { SignalRecord } from '../store/records/signal-record';
import type { SpineStore } from '../store/ports/spine-store';
import type { RunnerServices } from './run-settings';
import type { WorkflowResult } from './workflow-result';

/** What step handlers may use of the run they belong to. */
export interface StepEnvironment {
  readonly dispatcher: Dispatcher;
  readonly clock: Clock;
  readonly dryRun: boolean;
  readonly runId: string;
  /** The top-level run this run belongs to (itself, unless it is a map item). */
  readonly rootRunId: string;
  /** The epoch of the claim the run executes under (0 when it has none): its fencing token. */
  readonly epoch: number;
  /**
   * Aborted when the run is asked to stop or hand off at its next step boundary (null when it
   * cannot be): a step that only waits gives way at once instead of making the run wait.
   */
  readonly yieldSignal: AbortSignal | null;
  /** The run store and the fence the run writes under (a distributed map creates and reads its items' runs). */
  readonly store: SpineStore;
  readonly fence: Fence | null;
  /**
   * A worker's run: a wait longer than this parks the run (its lease and worker slot released until
   * the wake-up time) instead of sleeping, and a distributed map parks while its items run. Null
   * for a run executed where it was started: it sleeps, and a distributed map polls.
   */
  readonly parkAfterMs: number | null;
  /** The run was claimed after it had parked (a wake-up, not a fresh attempt). */
  readonly wokeFromPark: boolean;
  /** What a run executed in place borrows from its runner to run its distributed map's items itself. */
  readonly services: Pick<RunnerServices, 'runClaimed' | 'queueLimits' | 'held' | 'lease' | 'appVersion'>;
  /** Ends the run's part here, parked until `wakeAt` (the step is run again then); returns what the step returns. */
  park(wakeAt: number): StepResult;
  /** Resolves a map iterator (workflow, single step or workflow name) to a workflow. */
  iteratorWorkflow(iterator: WorkflowDefinition | StepDefinition | string): WorkflowDefinition;
  /**
   * The wake-up time of a wait step: the one recorded for this execution when the run is resumed,
   * else `until`, recorded now (in a durable run) so that a restarted process keeps it.
   */
  wakeAt(step: StepDefinition, runtime: StepRuntime, until: number): Promise<number>;
  /**
   * The deadline of a signal wait (null: none): the one recorded for this execution when the run
   * is resumed, else now + `timeoutMs`, recorded now with the signal's name (the run shows what it
   * waits for).
   */
  signalDeadline(step: StepDefinition, runtime: StepRuntime, signal: string, timeoutMs: number | null): Promise<number | null>;
  /**
   * Waits for the signal and consumes it for the step execution `consumer`: the signal; 'timeout'
   * once the deadline passed; or what the step returns to give way — PARKED (a worker's run parks
   * until the deadline; a signal wakes it), YIELDED (stop or hand-off), or a failure (no signals in
   * this store). A run executed in place looks every second (at once for a signal sent from here).
   */
  receiveSignal(signal: string, consumer: string, deadline: number | null, abort: AbortSignal): Promise<SignalRecord | 'timeout' | StepResult>;
  /**
   * The params a map item's run adds to its parent's: `params` as they are, or — when the runner
   * has a validator — the parent's and the item's together, checked (and converted) for the
   * iterator; throws naming what is wrong.
   */
  itemParams(iterator: WorkflowDefinition, parent: WorkflowContext, params: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> | Promise<Readonly<Record<string, unknown>>>;
  /**
   * Before a map item starts: lets the event loop run now and then, and makes sure the run's
   * claim is still held (throws `LeaseLostError` when another execution claimed the run).
   */
  beforeItem(): void | Promise<void>;
  /** Reports how many of a map step's items have finished (a `map_progress` event for listeners). */
  mapProgress(step: string, done: number, failed: number, total: number): void;
  /**
   * Runs a child workflow (a map item) with the runner's dispatcher, clock, middleware and
   * listener; recorded as a run of its own in a durable store unless `asRow` (its map records it
   * as an item row instead).
   */
  runChild(definition: WorkflowDefinition, ctx: WorkflowContext, signal: AbortSignal, asRow?: boolean): Promise<WorkflowResult>;
  /**
   * True when a map over `iterator` run in place keeps each item as one row (`recordMapItem`): a
   * durable run whose store keeps item rows, and an iterator of one lambda or pipeline step. Else
   * items are child runs (a durable store) or not kept.
   */
  itemRows(iterator: WorkflowDefinition): boolean;
  /** The recorded items of this run's map step execution (when `itemRows`). */
  listMapItems(step: string, iteration: number): Promise<MapItemRecord[]>;
  /** Records a map item's outcome under the run's fence (when `itemRows`); `LeaseLostError` when the claim is stale. */
  recordMapItem(item: MapItemRecord): void | Promise<void>;
}

/** Executes one attempt of one kind of step. */
export type StepHandler<S extends StepDefinition = StepDefinition> = (step: S, ctx: WorkflowContext, runtime: StepRuntime, env: StepEnvironment) => StepResult | Promise<StepResult>;

/** One failed item of a map step. */
export interface MapItemError {
  readonly index: number;
  readonly item: unknown;
  readonly step: string | null;
  readonly error: string;
  readonly errorCategory: ErrorCategory;
}
