import { Spine, SpineError, Step, Workflow } from 'spine-orchestration';

const flow = Workflow.define({ name: 'doors.flow', queue: 'doors', steps: [Step.lambda('one', (ctx) => ({ seen: ctx.getParam('x') ?? null }))] });

describe('Spine at its doors', () => {
  let spine: Spine;
  beforeEach(async () => {
    spine = await Spine.create({ database: 'memory', workflows: [flow], recoverOnStart: false });
  });
  afterEach(async () => spine.close());

  const kindAndMessage = async (attempt: () => Promise<unknown>): Promise<{ kind: string; message: string }> => {
    try {
      await attempt();
    } catch (error) {
      expect(error).toBeInstanceOf(SpineError);
      return { kind: (error as SpineError).kind, message: (error as Error).message };
    }
    throw new Error('accepted');
  };

  describe('listRuns filters', () => {
    it.each([
      [{ limit: Number.NaN }, 'limit must be a whole number from 1 to 100000 (got NaN)'],
      [{ limit: 0 }, 'limit must be a whole number from 1 to 100000 (got 0)'],
      [{ limit: 1e21 }, 'limit must be a whole number from 1 to 100000'],
      [{ since: new Date('x') }, 'since must be a valid Date (got Invalid Date)'],
      [{ until: '2026-01-01' }, 'until must be a valid Date (got string)'],
      [{ status: 'done' }, 'status must be one or more of queued, running'],
      [{ trigger: 'cron' }, 'trigger must be one of api, cli'],
      [{ workflow: '' }, 'workflow must be a non-empty string'],
      [{ before: { runId: 'r' } }, 'before must be { startedAt: Date, runId: string }'],
      [{ workflw: 'doors.flow' }, 'unknown field workflw'],
    ])('refuses %j, naming the field', async (filter, message) => {
      const refused = await kindAndMessage(() => spine.listRuns(filter as never));
      expect(refused.kind).toBe('invalid-argument');
      expect(refused.message).toContain(message);
    });

    it('lists every problem of one filter in one error', async () => {
      const refused = await kindAndMessage(() => spine.listRuns({ limit: -1, since: new Date('x') }));
      expect(refused.message).toMatch(/^listRuns: limit .*; since must be a valid Date/);
    });
  });

  describe('identifiers and params', () => {
    it('refuses an empty run id and idempotency key, recording nothing', async () => {
      for (const options of [{ runId: '' }, { runId: '   ' }, { idempotencyKey: '' }]) {
        const refused = await kindAndMessage(() => spine.run('doors.flow', options));
        expect(refused.kind).toBe('limit-exceeded');
        expect(refused.message).toMatch(/(runId|idempotencyKey) is empty; give a non-empty value or leave it out/);
        const queued = await kindAndMessage(() => spine.enqueue('doors.flow', options));
        expect(queued.message).toMatch(/is empty/);
      }
      expect(await spine.listRuns()).toEqual([]);
    });

    it('refuses a Symbol key in params, naming it, instead of dropping it', async () => {
      const refused = await kindAndMessage(() => spine.run('doors.flow', { params: { x: 1, [Symbol('secret')]: 2 } as Record<string, unknown> }));
      expect(refused.kind).toBe('unsafe-key');
      expect(refused.message).toContain('params of workflow "doors.flow" has the Symbol key Symbol(secret)');
      expect(await spine.listRuns()).toEqual([]);
    });

    it('refuses a nested __proto__, constructor or prototype key, naming its path, as it refuses a top-level one', async () => {
      const nested = JSON.parse('{"x": {"rows": [1, {"__proto__": {"admin": true}}]}}') as Record<string, unknown>;
      const refused = await kindAndMessage(() => spine.run('doors.flow', { params: nested }));
      expect(refused.kind).toBe('unsafe-key');
      expect(refused.message).toContain('params of workflow "doors.flow".x.rows[1].__proto__: the keys __proto__, constructor and prototype are never merged');
      const deep = await kindAndMessage(() => spine.enqueue('doors.flow', { params: { x: { constructor: 1 } } }));
      expect(deep.message).toContain('.x.constructor');
      expect(await spine.listRuns()).toEqual([]);
    });

    it('refuses a nested unsafe key in a resume override before touching the run', async () => {
      const failed = await spine.run('doors.flow');
      const refused = await kindAndMessage(() => spine.resume(failed.runId, { paramsOverride: JSON.parse('{"a": {"b": {"prototype": 1}}}') as Record<string, unknown> }));
      expect(refused.message).toContain(`the params override of run "${failed.runId}".a.b.prototype`);
    });

    it('still takes shared and deep values that are safe', async () => {
      const shared = { tier: 'OTC' };
      let deep: Record<string, unknown> = { leaf: true };
      for (let i = 0; i < 1_000; i++) deep = { next: deep };
      const result = await spine.run('doors.flow', { params: { x: { a: shared, b: shared, deep } } });
      expect(result.status).toBe('completed');
    });
  });
});
