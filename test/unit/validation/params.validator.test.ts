import 'reflect-metadata';
import { IsArray, IsBoolean, IsDate, IsDateString, IsIn, IsInt, IsOptional, IsString, Min } from 'class-validator';
import { SpineValidationError } from 'spine-orchestration';
import { validateParams } from '../../../src/validation/params.validator';

class RefreshParams {
  @IsDateString()
  week_ending!: string;

  @IsBoolean()
  fail: boolean = false;

  @IsInt()
  @Min(1)
  weeks: number = 1;

  @IsOptional()
  @IsDate()
  since?: Date;

  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  tiers?: string[];

  @IsIn(['OTC', 'NMS Tier 1'])
  tier: string = 'OTC';
}

const check = (params: Record<string, unknown>, given = Object.keys(params)) => validateParams('finra.refresh', RefreshParams, params, { given, forbidUnknown: true });
const violations = async (params: Record<string, unknown>) => {
  const error = await check(params).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SpineValidationError);
  return (error as SpineValidationError).violations;
};

describe('params conversion and validation at the doors (CLI, console, HTTP, API)', () => {
  it.each([
    ['false', false],
    ['FALSE', false],
    ['0', false],
    ['no', false],
    ['true', true],
    ['1', true],
    ['yes', true],
    [false, false],
    [1, true],
  ])('a boolean sent as %j arrives as %j', async (sent, expected) => {
    expect((await check({ week_ending: '2026-10-23', fail: sent })).fail).toBe(expected);
  });

  it('refuses a boolean it cannot read, naming the field and showing what was sent', async () => {
    expect(await violations({ week_ending: '2026-10-23', fail: 'maybe' })).toEqual([{ field: 'fail', value: 'maybe', constraints: ['must be true or false (or 1/0, yes/no); got "maybe"'] }]);
  });

  it('converts numbers, dates and lists from text', async () => {
    const params = await check({ week_ending: '2026-10-23', weeks: ' 6 ', since: '2026-01-09', tiers: 'OTC, NMS Tier 1' });
    expect(params).toMatchObject({ weeks: 6, tiers: ['OTC', 'NMS Tier 1'] });
    expect(params.since).toEqual(new Date('2026-01-09T00:00:00Z'));
    expect((await check({ week_ending: '2026-10-23', tiers: '["OTC"]' })).tiers).toEqual(['OTC']);
  });

  it('refuses "abc" for a number with the value as sent (not NaN), and a fraction for a whole number', async () => {
    expect(await violations({ week_ending: '2026-10-23', weeks: 'abc' })).toEqual([{ field: 'weeks', value: 'abc', constraints: ['must be a number; got "abc"'] }]);
    expect((await violations({ week_ending: '2026-10-23', weeks: '0' }))[0]).toMatchObject({ field: 'weeks', value: '0', constraints: ['weeks must not be less than 1'] });
    expect((await violations({ week_ending: '2026-10-23', since: 'last friday' }))[0]).toMatchObject({ field: 'since', value: 'last friday' });
  });

  it('says "is required" for a missing field instead of its format', async () => {
    expect(await violations({})).toEqual([{ field: 'week_ending', value: undefined, constraints: ['is required'] }]);
  });

  it('refuses a param the class does not declare, naming it and the workflow’s params; the workflow’s defaults are not the caller’s', async () => {
    expect(await violations({ week_ending: '2026-10-23', week: '2026-10-23' })).toEqual([
      {
        field: 'week',
        value: '2026-10-23',
        constraints: ['is not a param of workflow "finra.refresh" — did you mean "weeks" or "week_ending"? (its params: fail, since, tier, tiers, week_ending, weeks)'],
      },
    ]);
    // a default the workflow declares elsewhere, not sent by the caller, is not refused
    await expect(check({ week_ending: '2026-10-23', owner: 'ops' }, ['week_ending'])).resolves.toMatchObject({ owner: 'ops' });
  });

  it('keeps today’s behaviour without forbidUnknown: an unknown param passes through', async () => {
    await expect(validateParams('finra.refresh', RefreshParams, { week_ending: '2026-10-23', extra: 1 }, { given: ['extra'] })).resolves.toMatchObject({ extra: 1 });
  });
});
