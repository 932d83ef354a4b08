/** What the runner does when a step fails. */
export const ErrorPolicy = {
  /** End the run as failed (default). */
  STOP: 'STOP',
  /** Record the failure and go on with the next step. */
  CONTINUE: 'CONTINUE',
  /** Retry the step by its retry policy; stop when the attempts run out. */
  RETRY: 'RETRY',
} as const;

/** One of the values of {@link ErrorPolicy}. */
export type ErrorPolicy = (typeof ErrorPolicy)[keyof typeof ErrorPolicy];

const policies = new Set<string>(Object.values(ErrorPolicy));

/** True when `value` is one of the error policies. */
export function isErrorPolicy(value: unknown): value is ErrorPolicy {
  return typeof value === 'string' && policies.has(value);
}
