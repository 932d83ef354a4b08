/** Why a step failed; decides whether a retry can help. */
export const ErrorCategory = {
  TRANSIENT: 'TRANSIENT',
  /** The network failed (refused, reset, unreachable, a name that did not resolve): retried by default. */
  NETWORK: 'NETWORK',
  TIMEOUT: 'TIMEOUT',
  DATA_QUALITY: 'DATA_QUALITY',
  /**
   * A step's own quality check refused the data (the design's spelling for a gate a step applies
   * itself); the runner's declared gates fail with DATA_QUALITY. Not retried by default.
   */
  QUALITY_GATE: 'QUALITY_GATE',
  CONFIGURATION: 'CONFIGURATION',
  DEPENDENCY: 'DEPENDENCY',
  VALIDATION: 'VALIDATION',
  INTERNAL: 'INTERNAL',
} as const;

/** One of the values of {@link ErrorCategory}. */
export type ErrorCategory = (typeof ErrorCategory)[keyof typeof ErrorCategory];

/** Every category, in declaration order. */
export const ERROR_CATEGORIES: readonly ErrorCategory[] = Object.freeze(Object.values(ErrorCategory));

const categories = new Set<string>(ERROR_CATEGORIES);

/** True when `value` is one of the error categories. */
export function isErrorCategory(value: unknown): value is ErrorCategory {
  return typeof value === 'string' && categories.has(value);
}

/** The sentence every refusal of an unknown category ends with. */
export function unknownCategoryMessage(where: string, value: unknown): string {
  return `${where} has an unknown error category ${JSON.stringify(value)}; the categories are ${ERROR_CATEGORIES.join(', ')}`;
}

/** Error codes of Node's network stack: a thrown error carrying one fails its step with NETWORK. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);
