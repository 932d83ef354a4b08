import { ErrorCategory, isErrorCategory, NETWORK_ERROR_CODES, unknownCategoryMessage } from '../policy/error-category';

/** An error a step (lambda or pipeline) may throw to say which category its failure belongs to. */
export class StepError extends Error {
  override readonly name = 'StepError';

  constructor(
    message: string,
    readonly category: ErrorCategory = ErrorCategory.INTERNAL,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    if (!isErrorCategory(category)) throw new RangeError(unknownCategoryMessage(`new StepError(${JSON.stringify(message)})`, category));
  }
}

/**
 * The category a thrown value belongs to: its own `category` when valid, TIMEOUT for timeouts,
 * NETWORK for Node's network errors (`code` ECONNREFUSED, ECONNRESET, ENOTFOUND, …, also on a
 * `cause`), else INTERNAL.
 */
export function categoryOf(error: unknown): ErrorCategory {
  if (error !== null && typeof error === 'object') {
    const category = (error as { category?: unknown }).category;
    if (isErrorCategory(category)) return category;
    const name = (error as { name?: unknown }).name;
    if (name === 'TimeoutError') return ErrorCategory.TIMEOUT;
    const code = (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return ErrorCategory.NETWORK;
  }
  return ErrorCategory.INTERNAL;
}

/** The message of a thrown value, whatever was thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  // an Error from another realm (a VM context, a test sandbox) fails instanceof but has a message
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message === 'string' && message !== '') return message;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
