import { SpineValidationError, Workflow, Step, WorkflowDefinitionError } from 'spine-orchestration';
import { validateParamsSpec } from '../../../src/validation/params-spec.validator';

const spec = {
  week_ending: { type: 'string', format: 'date', required: true },
  tiers: { type: 'array', items: { type: 'string' }, default: ['OTC'] },
  top: { type: 'integer', minimum: 1, maximum: 50, default: 10 },
  code: { type: 'string', pattern: '^[A-Z]{3}$' },
} as const;

const violations = (params: Record<string, unknown>) => {
  try {
    validateParamsSpec('finra.top', spec, params, { given: Object.keys(params), forbidUnknown: true });
  } catch (error) {
    if (error instanceof SpineValidationError) return error.violations;
    throw error;
  }
  throw new Error('expected a SpineValidationError');
};

describe('params declared as data (YAML params, Workflow.define({ params }))', () => {
  it('converts text by type and fills defaults', () => {
    expect(validateParamsSpec('finra.top', spec, { week_ending: '2026-10-23', top: '5', tiers: 'OTC,NMS Tier 1' })).toEqual({
      week_ending: '2026-10-23',
      top: 5,
      tiers: ['OTC', 'NMS Tier 1'],
    });
    expect(validateParamsSpec('finra.top', spec, { week_ending: '2026-10-23' })).toEqual({ week_ending: '2026-10-23', tiers: ['OTC'], top: 10 });
  });

  it('checks format, bounds, whole numbers and patterns, with the value as sent', () => {
    expect(violations({ week_ending: '23/10/2026', top: '2.5', code: 'otc' })).toEqual([
      { field: 'week_ending', value: '23/10/2026', constraints: ['must be a date like 2026-10-23; got "23/10/2026"'] },
      { field: 'top', value: '2.5', constraints: ['must be a whole number; got "2.5"'] },
      { field: 'code', value: 'otc', constraints: ['must match ^[A-Z]{3}$; got "otc"'] },
    ]);
    expect(violations({ week_ending: '2026-10-23', top: 51 })).toEqual([{ field: 'top', value: 51, constraints: ['must be at most 50; got 51'] }]);
  });

  it('is checked when the workflow is defined: a bad declaration names the param', () => {
    try {
      Workflow.define({ name: 'bad.params', params: { n: { type: 'float' } as never, m: { type: 'string', colour: 'red' } as never }, steps: [Step.lambda('a', () => undefined)] });
      throw new Error('expected a WorkflowDefinitionError');
    } catch (error) {
      expect(error).toBeInstanceOf(WorkflowDefinitionError);
      expect((error as WorkflowDefinitionError).problems).toEqual([
        'param "n": type must be one of string, boolean, number, integer, array, object (got "float")',
        'param "m": unknown field "colour" (a param has: type, required, default, enum, description, minimum, maximum, minLength, maxLength, pattern, format, items)',
      ]);
    }
  });
});
