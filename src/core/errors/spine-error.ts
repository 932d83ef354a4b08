/** Every kind of error the framework raises itself; check with `error.kind === '…'`. */
export type SpineErrorKind =
  | 'invalid-definition'
  | 'invalid-argument'
  | 'invalid-context'
  | 'duplicate-pipeline'
  | 'unknown-pipeline'
  | 'unknown-workflow'
  | 'unknown-run'
  | 'unknown-step'
  | 'step-budget-exceeded'
  | 'unsafe-key'
  | 'unserializable-value'
  | 'validation-failed'
  | 'invalid-plan'
  | 'registry-frozen'
  | 'startup-failed'
  | 'closed'
  | 'definition-changed'
  | 'lease-lost'
  | 'lease-held'
  | 'run-interrupted';

/** Base class of the framework's errors: one `kind` to branch on, a message that names the fix. */
export class SpineError extends Error {
  override readonly name: string = 'SpineError';

  constructor(
    readonly kind: SpineErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A definition with one or more problems; `problems` lists every one found in a single pass. */
export class WorkflowDefinitionError extends SpineError {
  override readonly name = 'WorkflowDefinitionError';

  constructor(
    readonly subject: string,
    readonly problems: readonly string[],
  ) {
    super('invalid-definition', formatProblems(subject, problems));
  }
}

/** Builds "<subject> has N problems:\n  - a\n  - b" (or a single-line form for one problem). */
export function formatProblems(subject: string, problems: readonly string[]): string {
  if (problems.length === 1) return `${subject}: ${problems[0]}`;
  return `${subject} has ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}

/** A run's lease is held by another owner: this writer was fenced off and wrote nothing. */
export class LeaseLostError extends SpineError {
  override readonly name = 'LeaseLostError';

  constructor(
    readonly runId: string,
    readonly owner: string,
  ) {
    super('lease-lost', `Run "${runId}": ${owner} no longer holds its lease (another process took the run over); nothing more was recorded by ${owner}.`);
  }
}
