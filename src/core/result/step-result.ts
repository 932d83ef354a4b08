import { ErrorCategory, isErrorCategory, unknownCategoryMessage } from '../policy/error-category';
import { QualityMetrics, type QualityMetricsInit } from '../quality/quality-metrics';

/** A structured log record a step emits alongside its result. */
export interface StepEvent {
  readonly type?: string;
  readonly message?: string;
  readonly level?: 'debug' | 'info' | 'warn' | 'error';
  readonly [key: string]: unknown;
}

/** Output a step stores under its own name. */
export type StepOutput = Readonly<Record<string, unknown>>;

/** Extras of a successful result. */
export interface OkOptions {
  /** Merged into params for every later step. */
  readonly contextUpdates?: Readonly<Record<string, unknown>>;
  readonly quality?: QualityMetrics | QualityMetricsInit;
  readonly events?: readonly StepEvent[];
  /** Routes the run to this step next (overrides declaration order and `next`). */
  readonly nextStep?: string;
  /** Keep a snapshot of the run's context right after this step (the design's `checkpoint=True`), as a step declared with `checkpoint: true` does. */
  readonly checkpoint?: boolean;
}

/** Extras of a failed result. */
export interface FailOptions {
  readonly category?: ErrorCategory;
  readonly output?: StepOutput;
  readonly quality?: QualityMetrics | QualityMetricsInit;
  readonly events?: readonly StepEvent[];
}

interface StepResultInit {
  readonly success: boolean;
  readonly output: StepOutput;
  readonly contextUpdates: Readonly<Record<string, unknown>>;
  readonly error: string | null;
  readonly errorCategory: ErrorCategory | null;
  readonly quality: QualityMetrics | null;
  readonly events: readonly StepEvent[];
  readonly nextStep: string | null;
  readonly skipped: string | null;
  readonly checkpoint: boolean;
}

const NO_UPDATES: Readonly<Record<string, unknown>> = Object.freeze({});
const NO_EVENTS: readonly StepEvent[] = Object.freeze([]);

/** The envelope every step returns. Build it with `StepResult.ok` or `StepResult.fail`. Immutable. */
export class StepResult {
  readonly success: boolean;
  readonly output: StepOutput;
  readonly contextUpdates: Readonly<Record<string, unknown>>;
  readonly error: string | null;
  readonly errorCategory: ErrorCategory | null;
  readonly quality: QualityMetrics | null;
  readonly events: readonly StepEvent[];
  readonly nextStep: string | null;
  /** `StepResult.skip(reason)`: the step chose not to do its work; the reason (null otherwise). */
  readonly skipped: string | null;
  /** `StepResult.ok(…, { checkpoint: true })`: the run keeps a snapshot of its context right after this step. */
  readonly checkpoint: boolean;

  private constructor(init: StepResultInit) {
    this.success = init.success;
    this.output = init.output;
    this.contextUpdates = init.contextUpdates;
    this.error = init.error;
    this.errorCategory = init.errorCategory;
    this.quality = init.quality;
    this.events = init.events;
    this.checkpoint = init.checkpoint;
    this.nextStep = init.nextStep;
    this.skipped = init.skipped;
    Object.freeze(this);
  }

  /** A successful result; `output` is stored under the step's name. */
  static ok(output?: unknown, options: OkOptions = {}): StepResult {
    return new StepResult({
      success: true,
      output: toOutput(output),
      contextUpdates: options.contextUpdates ?? NO_UPDATES,
      error: null,
      errorCategory: null,
      quality: options.quality === undefined ? null : QualityMetrics.from(options.quality),
      events: options.events ?? NO_EVENTS,
      nextStep: options.nextStep ?? null,
      skipped: null,
      checkpoint: options.checkpoint === true,
    });
  }

  /**
   * The step did nothing this time (no new data, already processed): it is recorded as skipped
   * with the reason, stores no output, and the run goes on as after a completed step (steps that
   * depend on it are skipped too).
   */
  static skip(reason: string, options: { readonly events?: readonly StepEvent[]; readonly nextStep?: string } = {}): StepResult {
    if (typeof reason !== 'string' || reason.trim() === '') throw new RangeError('StepResult.skip(reason) needs a reason: say why the step did nothing');
    return new StepResult({
      success: true,
      output: EMPTY_OUTPUT,
      contextUpdates: NO_UPDATES,
      error: null,
      errorCategory: null,
      quality: null,
      events: options.events ?? NO_EVENTS,
      nextStep: options.nextStep ?? null,
      skipped: reason,
      checkpoint: false,
    });
  }

  /** A failed result; the category defaults to INTERNAL (an unknown category throws, naming the known ones). */
  static fail(error: string | Error, options: FailOptions = {}): StepResult {
    if (options.category !== undefined && !isErrorCategory(options.category)) {
      throw new RangeError(unknownCategoryMessage('StepResult.fail', options.category));
    }
    return new StepResult({
      success: false,
      output: toOutput(options.output),
      contextUpdates: NO_UPDATES,
      error: typeof error === 'string' ? error : error.message,
      errorCategory: options.category ?? ErrorCategory.INTERNAL,
      quality: options.quality === undefined ? null : QualityMetrics.from(options.quality),
      events: options.events ?? NO_EVENTS,
      nextStep: null,
      skipped: null,
      checkpoint: false,
    });
  }

  /** The same result with other quality metrics. */
  withQuality(quality: QualityMetrics | null): StepResult {
    return new StepResult({ ...this, quality });
  }

  /** The same result turned into a failure (a quality gate or a merge that was refused). */
  asFailure(error: string, category: ErrorCategory): StepResult {
    return new StepResult({ ...this, success: false, error, errorCategory: category, contextUpdates: NO_UPDATES, nextStep: null, skipped: null, checkpoint: false });
  }
}

/** The seed's name for the same envelope. */
export const LambdaStepResult = StepResult;
/** The seed's name for the same envelope. */
export type LambdaStepResult = StepResult;

const EMPTY_OUTPUT: StepOutput = Object.freeze({});

/** Plain objects are outputs as they are; other values are wrapped as `{ value }`. */
export function toOutput(value: unknown): StepOutput {
  if (value === undefined || value === null) return EMPTY_OUTPUT;
  if (typeof value === 'object' && !Array.isArray(value)) return value as StepOutput;
  return { value };
}
