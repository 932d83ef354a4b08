import 'reflect-metadata';
import type { ArgumentsHost } from '@nestjs/common';
import { SpineError, SpineValidationError } from 'spine-orchestration';
import { httpStatusOf, SpineExceptionFilter } from 'spine-orchestration/nest';

/** An ArgumentsHost of an HTTP request whose reply records what was sent (Express- or Fastify-shaped). */
function hostWith(kind: 'express' | 'fastify', type = 'http'): { host: ArgumentsHost; sent: { status?: number; body?: unknown } } {
  const sent: { status?: number; body?: unknown } = {};
  const reply =
    kind === 'express'
      ? { status: (code: number) => ((sent.status = code), { json: (body: unknown) => (sent.body = body) }) }
      : { code: (code: number) => ((sent.status = code), { send: (body: unknown) => (sent.body = body) }) };
  const host = { getType: () => type, switchToHttp: () => ({ getResponse: () => reply }) } as unknown as ArgumentsHost;
  return { host, sent };
}

describe('SpineExceptionFilter', () => {
  it('maps what spine throws to HTTP statuses', () => {
    const status = (kind: ConstructorParameters<typeof SpineError>[0]) => httpStatusOf(new SpineError(kind, 'x'));
    expect(httpStatusOf(new SpineValidationError('w', [{ field: 'limit', value: 'x', constraints: ['limit must be an integer'] }] as never))).toBe(400);
    expect([status('invalid-argument'), status('unknown-workflow'), status('unknown-run'), status('unknown-schedule')]).toEqual([400, 404, 404, 404]);
    expect([status('definition-changed'), status('run-in-progress'), status('run-finished'), status('lease-held'), status('idempotency-conflict')]).toEqual([409, 409, 409, 409, 409]);
    expect([status('closed'), status('timeout'), status('corrupt-record')]).toEqual([503, 504, 500]);
  });

  it('answers with the status and a JSON body naming the kind (and the fields at fault), on Express and Fastify; a 500 hides the message', () => {
    const filter = new SpineExceptionFilter();
    const express = hostWith('express');
    filter.catch(new SpineError('unknown-workflow', 'Workflow "x" is not registered.'), express.host);
    expect(express.sent).toEqual({ status: 404, body: { statusCode: 404, error: 'Not Found', message: 'Workflow "x" is not registered.', kind: 'unknown-workflow' } });
    const fastify = hostWith('fastify');
    filter.catch(new SpineError('closed', 'spine.start: this Spine was closed'), fastify.host);
    expect(fastify.sent).toMatchObject({ status: 503, body: { error: 'Service Unavailable', kind: 'closed' } });
    const internal = hostWith('express');
    filter.catch(new SpineError('corrupt-record', 'column x of run y holds text that is not JSON'), internal.host);
    expect(internal.sent.body).toMatchObject({ statusCode: 500, message: 'Internal Server Error' });
  });

  it('lets errors outside HTTP pass through', () => {
    const error = new SpineError('unknown-run', 'Run "r" is not in the run store.');
    expect(() => new SpineExceptionFilter().catch(error, hostWith('express', 'rpc').host)).toThrow(error);
  });
});
