import { SpineError, WorkflowContext } from 'spine-orchestration';

describe('WorkflowContext', () => {
  describe('create', () => {
    it('fills identity fields and copies params so the caller keeps its objects', () => {
      const tiers = ['OTC'];
      const ctx = WorkflowContext.create({ params: { tiers }, batchId: 'b1', partition: { tier: 'OTC' }, asOfDate: '2026-01-09' });
      expect(ctx.runId).toMatch(/^[0-9a-f-]{36}$/);
      expect(ctx.traceId).toBe(ctx.runId);
      expect(ctx.batchId).toBe('b1');
      expect(ctx.partition).toEqual({ tier: 'OTC' });
      expect(ctx.asOfDate).toBe('2026-01-09');
      expect(ctx.getParam('tiers')).toEqual(['OTC']);
      tiers.push('NMS Tier 1');
      expect(ctx.getParam('tiers')).toEqual(['OTC']);
      expect(Object.isFrozen(ctx.getParam('tiers'))).toBe(true);
    });

    it('rejects params that are not plain data, naming the param', () => {
      expect(() => WorkflowContext.create({ params: { fn: () => 1 } })).toThrow(/param "fn"/);
    });

    it('rejects a __proto__ key in params', () => {
      const params = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
      expect(() => WorkflowContext.create({ params })).toThrow(/__proto__/);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('immutability', () => {
    it('is frozen and never changed by derivations', () => {
      const base = WorkflowContext.create({ params: { a: 1 } });
      const next = base.withStepOutput('fetch', { records: [1, 2] }, { a: 2, b: 3 });
      expect(Object.isFrozen(base)).toBe(true);
      expect(base.getParam('a')).toBe(1);
      expect(base.hasOutput('fetch')).toBe(false);
      expect(next.getParam('a')).toBe(2);
      expect(next.getParam('b')).toBe(3);
      expect(next.getOutput('fetch', 'records')).toEqual([1, 2]);
      expect(() => {
        (next.getOutput('fetch', 'records') as number[]).push(3);
      }).toThrow(TypeError);
    });

    it('keeps two branches derived from one context apart', () => {
      const base = WorkflowContext.create().withStepOutput('a', { n: 1 });
      const left = base.withStepOutput('b', { side: 'left' });
      const right = base.withStepOutput('b', { side: 'right' });
      expect(left.getOutput('b', 'side')).toBe('left');
      expect(right.getOutput('b', 'side')).toBe('right');
      expect(base.hasOutput('b')).toBe(false);
      expect(right.stepOutputs).toEqual({ a: { n: 1 }, b: { side: 'right' } });
    });

    it('rejects unsafe keys in updates and merges nothing', () => {
      const ctx = WorkflowContext.create({ params: { a: 1 } });
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        const updates = JSON.parse(`{"${key}": {"x": 1}, "a": 2}`) as Record<string, unknown>;
        expect(() => ctx.withUpdates(updates)).toThrow(SpineError);
        expect(() => ctx.withStepOutput('s', {}, updates)).toThrow(new RegExp(key));
      }
      expect(ctx.getParam('a')).toBe(1);
    });
  });

  describe('accessors', () => {
    const ctx = WorkflowContext.create({ params: { date: '2026-01-10', zero: 0 } }).withStepOutput('validate', { validCount: 7, empty: null });

    it('getOutput returns the output, a key of it, or the default', () => {
      expect(ctx.getOutput('validate')).toEqual({ validCount: 7, empty: null });
      expect(ctx.getOutput('validate', 'validCount', 0)).toBe(7);
      expect(ctx.getOutput('validate', 'empty', 'x')).toBeNull();
      expect(ctx.getOutput('validate', 'missing', 'dflt')).toBe('dflt');
      expect(ctx.getOutput('nope', 'validCount', 5)).toBe(5);
      expect(ctx.getOutput('validate', 'toString', 'own keys only')).toBe('own keys only');
    });

    it('getParam returns the param or the default, keeping falsy values', () => {
      expect(ctx.getParam('date')).toBe('2026-01-10');
      expect(ctx.getParam('zero', 9)).toBe(0);
      expect(ctx.getParam('missing', 'd')).toBe('d');
    });

    it('withPartition and withMetadata derive new contexts', () => {
      const p = ctx.withPartition({ week_ending: '2026-01-09', tier: 'OTC' }).withMetadata({ source: 'test' });
      expect(p.partition).toEqual({ week_ending: '2026-01-09', tier: 'OTC' });
      expect(p.metadata.source).toBe('test');
      expect(ctx.partition).toBeNull();
      expect(() => ctx.withPartition({ tier: 1 } as never)).toThrow(/partition key "tier"/);
    });
  });

  describe('toJSON / fromJSON', () => {
    it('round-trips every field', () => {
      const ctx = WorkflowContext.create({
        params: { a: [1, { b: 2 }] },
        batchId: 'batch',
        partition: { tier: 'OTC' },
        asOfDate: '2026-01-09',
        captureId: 'cap',
        idempotencyKey: 'idem',
      }).withStepOutput('s1', { n: 1 }, { c: true }, { lastCompletedStep: 's1', executedSteps: 1 });
      const copy = WorkflowContext.fromJSON(JSON.parse(JSON.stringify(ctx)));
      expect(copy.toJSON()).toEqual(ctx.toJSON());
      expect(copy.startedAt.getTime()).toBe(ctx.startedAt.getTime());
      expect(copy.getOutput('s1', 'n')).toBe(1);
      expect(copy.checkpoint).toEqual({ lastCompletedStep: 's1', executedSteps: 1 });
    });

    it('names the field that is wrong', () => {
      const good = WorkflowContext.create().toJSON();
      expect(() => WorkflowContext.fromJSON({ ...good, runId: 5 })).toThrow(/field "runId" must be a string/);
      expect(() => WorkflowContext.fromJSON({ ...good, startedAt: 'not a date' })).toThrow(/startedAt/);
      expect(() => WorkflowContext.fromJSON({ ...good, params: [] })).toThrow(/field "params"/);
      expect(() => WorkflowContext.fromJSON('[1]')).toThrow(/expected an object/);
    });
  });

  describe('derivation cost', () => {
    it('does not copy earlier outputs: a long chain keeps every output reachable', () => {
      let ctx = WorkflowContext.create();
      for (let i = 0; i < 5000; i++) ctx = ctx.withStepOutput(`s${i}`, { i });
      expect(ctx.getOutput('s0', 'i')).toBe(0);
      expect(ctx.getOutput('s4999', 'i')).toBe(4999);
      expect(Object.keys(ctx.stepOutputs)).toHaveLength(5000);
    });
  });
});
