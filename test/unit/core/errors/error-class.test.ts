import { SpineError } from 'spine-orchestration';
import { errorClassOf, SPINE_ERROR_KINDS } from '../../../../src/core/errors/error-class';
import { asUsageError } from '../../../../src/cli/cli.shared';
import { CliError } from '../../../../src/cli/cli.error';
import { ConsoleApi } from '../../../../src/console/console-api';
import { httpStatusOf } from '../../../../src/nest/spine-exception.filter';
import type { Spine } from '../../../../src/spine/spine';

describe('one error classification', () => {
  it('classifies every kind, and the console, the Nest filter and the CLI answer each the same way', async () => {
    expect(SPINE_ERROR_KINDS.length).toBeGreaterThan(20);
    for (const kind of SPINE_ERROR_KINDS) {
      const error = new SpineError(kind, `a ${kind} error`);
      const { httpStatus, usage } = errorClassOf(kind);
      expect({ kind, nest: httpStatusOf(error) }).toEqual({ kind, nest: httpStatus });
      expect({ kind, usage: asUsageError(error) instanceof CliError }).toEqual({ kind, usage });
      const api = new ConsoleApi({ getRun: () => Promise.reject(error) } as unknown as Spine, { readOnly: false });
      const request = { method: 'GET', path: '/runs/r1', query: new URLSearchParams(), body: undefined };
      if (httpStatus === 500) await expect(api.handle(request)).rejects.toBe(error);
      else expect({ kind, reply: await api.handle(request) }).toEqual({ kind, reply: { status: httpStatus, body: { error: `a ${kind} error`, kind } } });
    }
  });

  it("answers a caller's mistakes 4xx and the server's troubles 5xx", () => {
    expect(['unknown-step', 'unsafe-key', 'limit-exceeded', 'validation-failed'].map((k) => errorClassOf(k as never).httpStatus)).toEqual([400, 400, 400, 400]);
    expect(['unknown-run', 'unknown-workflow'].map((k) => errorClassOf(k as never).httpStatus)).toEqual([404, 404]);
    expect(['closed', 'run-interrupted', 'timeout'].map((k) => errorClassOf(k as never).httpStatus)).toEqual([503, 503, 504]);
  });
});
