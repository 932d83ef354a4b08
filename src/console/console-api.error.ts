/** A client's mistake: answered with its status and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A request's JSON body as an object (absent: empty); anything else is a 400. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** Refuses fields a route does not take, naming them and the ones it does. */
export function onlyFields(body: Record<string, unknown>, allowed: readonly string[], route: string): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw new ApiError(400, `${route} takes ${allowed.length === 0 ? 'no fields' : allowed.join(', ')}; unknown: ${unknown.join(', ')}.`);
}

/** An optional text field of at most `max` characters. */
export function optionalText(body: Record<string, unknown>, field: string, max: number): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) throw new ApiError(400, `${field} must be text of at most ${max} characters.`);
  return value;
}
