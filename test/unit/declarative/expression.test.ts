import { compileExpression, ExpressionError } from '../../../src/declarative/expression';

const scope = {
  params: { skip_rolling: false, tier: 'OTC', n: 3, tags: ['a', 'b'] },
  outputs: { validate: { validRate: 0.995, counts: [4, 5] } },
  metadata: { workflow: 'w' },
};
const run = (source: string): unknown => compileExpression(source).evaluate(scope);

describe('choice conditions (a safe expression language over params, outputs and metadata)', () => {
  it("evaluates the design's conditions and the usual operators", () => {
    expect(run('not skip_rolling')).toBe(true);
    expect(run("outputs.validate.validRate >= 0.99 and params.tier == 'OTC'")).toBe(true);
    expect(run("outputs.validate.validRate >= 0.999 or tier != 'OTC'")).toBe(false);
    expect(run("tier in ['OTC', 'NMS Tier 1'] && !skip_rolling")).toBe(true);
    expect(run("'b' in tags and 'validRate' in outputs.validate")).toBe(true);
    expect(run('n * 2 + 1 > 6 ? metadata.workflow == "w" : false')).toBe(true);
    expect(run('outputs.validate.counts[1] - n == 2')).toBe(true);
    // absent values read as null; no coercion between types
    expect(run('outputs.missing.rate == null and unknown_param == null')).toBe(true);
    expect(run("n == '3'")).toBe(false);
    expect(compileExpression('outputs.validate.validRate > outputs.load.rows').outputSteps).toEqual(['validate', 'load']);
  });

  it('refuses what is not in the language at parse time, with the position', () => {
    const refused = (source: string): ExpressionError => {
      try {
        compileExpression(source);
      } catch (error) {
        expect(error).toBeInstanceOf(ExpressionError);
        return error as ExpressionError;
      }
      throw new Error(`${source} was accepted`);
    };
    expect(refused('validRate >= ').message).toBe('Expected expression after >= at character 14 of "validRate >= "');
    expect(refused('n > 1 and len(tags) > 1').message).toContain('function calls are not available (len(…))');
    expect(refused('n > 1 and len(tags) > 1').position).toBe(10);
    expect(refused('params.constructor').message).toContain('"constructor" cannot be used');
    expect(refused("params['__proto__']").message).toContain('"__proto__" cannot be used');
    expect(refused('this.x').message).toContain('"this" is not available');
    expect(refused('a; b').message).toContain('a condition is one expression');
    expect(refused('tags[n]').message).toContain('an index must be a literal');
    expect(refused('a | b').message).toContain('the operator "|" is not available');
  });

  it('fails at evaluation naming the operator and the values when types do not fit', () => {
    expect(() => run("outputs.validate.validRate > 'high'")).toThrow('">" compares two numbers or two strings (got 0.995 and "high")');
    expect(() => run('outputs.load.rows >= 10')).toThrow('(got null and 10)');
    expect(() => run('n in 5')).toThrow('"in" looks in an array, a string or an object');
  });
});
