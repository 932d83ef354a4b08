/** Why a step failed; decides whether a retry can help. */
export const ErrorCategory = {
  TRANSIENT: 'TRANSIENT',
  TIMEOUT: 'TIMEOUT',
  DATA_QUALITY: 'DATA_QUALITY',
  CONFIGURATION: 'CONFIGURATION',
  DEPENDENCY: 'DEPENDENCY',
  VALIDATION: 'VALIDATION',
  INTERNAL: 'INTERNAL',
} as const;

/** One of the values of {@link ErrorCategory}. */
export type ErrorCategory = (typeof ErrorCategory)[keyof typeof ErrorCategory];

const categories = new Set<string>(Object.values(ErrorCategory));

/** True when `value` is one of the error categories. */
export function isErrorCategory(value: unknown): value is ErrorCategory {
  return typeof value === 'string' && categories.has(value);
}
