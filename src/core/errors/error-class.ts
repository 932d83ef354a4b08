import type { SpineErrorKind } from './spine-error';

/** How a front end answers an error of one kind: the HTTP status, and whether the CLI calls it a usage error (exit 2: the user must change something). */
export interface ErrorClass {
  readonly httpStatus: 400 | 404 | 409 | 500 | 503 | 504;
  readonly usage: boolean;
}

const caller = (httpStatus: 400 | 404 | 409): ErrorClass => ({ httpStatus, usage: true });
const server = (httpStatus: 500 | 503 | 504, usage = false): ErrorClass => ({ httpStatus, usage });

/**
 * Every kind, classified once (a `Record` over the union: a new kind does not compile until it is
 * classified here). The console, the Nest filter and the CLI all answer through it.
 */
const CLASSES: Readonly<Record<SpineErrorKind, ErrorClass>> = {
  'invalid-definition': caller(400),
  'invalid-argument': caller(400),
  'invalid-context': caller(400),
  'invalid-plan': caller(400),
  'validation-failed': caller(400),
  'unsafe-key': caller(400),
  'unserializable-value': caller(400),
  'limit-exceeded': caller(400),
  'unknown-step': caller(400),
  'unknown-workflow': caller(404),
  'unknown-run': caller(404),
  'unknown-schedule': caller(404),
  'definition-changed': caller(409),
  'run-in-progress': caller(409),
  'run-finished': caller(409),
  'lease-held': caller(409),
  'idempotency-conflict': caller(409),
  // the application's own setup is at fault: a server error to an HTTP client, a fix for the CLI's user
  'duplicate-pipeline': server(500, true),
  'unknown-pipeline': server(500, true),
  'startup-failed': server(500, true),
  'corrupt-record': server(500, true),
  'registry-frozen': server(500),
  'lease-lost': server(500),
  'run-interrupted': server(503),
  closed: server(503),
  timeout: server(504),
};

/** How the front ends answer an error of `kind`. */
export function errorClassOf(kind: SpineErrorKind): ErrorClass {
  return CLASSES[kind];
}

/** Every kind there is (for tests and docs). */
export const SPINE_ERROR_KINDS = Object.keys(CLASSES) as readonly SpineErrorKind[];
