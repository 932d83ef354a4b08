import { SpineError } from './spine-error';

/** One field that failed validation, with every constraint it broke. */
export interface FieldViolation {
  /** Dotted path of the field: 'tier', 'window.start', 'weeks.2'. */
  readonly field: string;
  readonly value: unknown;
  /** The messages of the constraints broken, e.g. 'tier must be one of: OTC, NMS Tier 1'. */
  readonly constraints: readonly string[];
}

/** Params rejected before a run started; `violations` lists every field and constraint. Nothing was recorded. */
export class SpineValidationError extends SpineError {
  override readonly name = 'SpineValidationError';

  constructor(
    readonly workflow: string,
    readonly violations: readonly FieldViolation[],
  ) {
    super(
      'validation-failed',
      `Invalid params for workflow "${workflow}" (${violations.length} field${violations.length === 1 ? '' : 's'}); no run was started:\n` +
        violations.map((v) => `  - ${v.field}: ${v.constraints.join('; ')}`).join('\n'),
    );
  }
}
