import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { errorClassOf } from '../core/errors/error-class';
import { SpineError } from '../core/errors/spine-error';
import { SpineValidationError } from '../core/errors/spine-validation.error';

const REASON: Readonly<Record<number, string>> = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/**
 * The HTTP status of what spine throws at a caller (`errorClassOf`, shared with the console and
 * the CLI): invalid params or arguments 400; an unknown workflow, run or schedule 404; a changed
 * definition, a run already running or finished, an idempotency key of another workflow 409; a
 * Spine shutting down or its store failing 503 (retry); `waitForResult` timing out 504; anything
 * else 500.
 */
export function httpStatusOf(error: SpineError): number {
  if (error instanceof SpineValidationError) return 400;
  return errorClassOf(error.kind).httpStatus;
}

/** The JSON body the filter answers with: Nest's `{ statusCode, error, message }` plus the kind (and the fields at fault for invalid params). */
export function httpBodyOf(error: SpineError): Record<string, unknown> {
  const statusCode = httpStatusOf(error);
  return {
    statusCode,
    error: REASON[statusCode] ?? 'Error',
    message: statusCode === 500 ? 'Internal Server Error' : error.message,
    kind: error.kind,
    ...(error instanceof SpineValidationError && { violations: error.violations }),
  };
}

interface ReplyLike {
  status?(code: number): { json(body: unknown): unknown };
  code?(code: number): { send(body: unknown): unknown };
}

/**
 * Answers spine's errors in HTTP handlers with their status (see `httpStatusOf`) instead of 500:
 * `app.useGlobalFilters(new SpineExceptionFilter())`, or `@UseFilters(SpineExceptionFilter)` on
 * a controller. Works on Express and Fastify; errors outside HTTP (RPC, WebSocket) pass through.
 */
@Catch(SpineError)
export class SpineExceptionFilter implements ExceptionFilter<SpineError> {
  catch(error: SpineError, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const reply = host.switchToHttp().getResponse<ReplyLike>();
    const body = httpBodyOf(error);
    const status = body.statusCode as number;
    if (typeof reply.code === 'function') void reply.code(status).send(body);
    else if (typeof reply.status === 'function') void reply.status(status).json(body);
    else throw error;
  }
}
