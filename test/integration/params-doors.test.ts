import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsBoolean, IsInt, IsOptional, Min } from 'class-validator';
import { HandlerRegistry, LambdaStep, Spine, SpineValidationError, Workflow } from 'spine-orchestration';
import { parseParams } from '../../src/cli/cli.args';

/** What `spine run … --param k=v` hands to spine: text. */
const fromCli = (...pairs: string[]) => parseParams(pairs, undefined, process.cwd());

class SettleParams {
  @IsBoolean()
  fail: boolean = false;

  @IsOptional()
  @IsInt()
  @Min(1)
  batches?: number;
}

@Workflow({ name: 'doors.settle', params: SettleParams })
class Settle {
  @LambdaStep()
  settle(ctx: { getParam<T>(name: string): T }) {
    const fail = ctx.getParam<boolean>('fail');
    if (fail) throw new Error('asked to fail');
    return { fail, failType: typeof fail, batches: ctx.getParam<number | undefined>('batches') ?? null };
  }
}

const YAML = `name: doors.payment
params:
  amount: { type: number, required: true, minimum: 0, description: the payment in USD }
  rush: { type: boolean, default: false }
  currency: { type: string, enum: [USD, EUR], default: USD }
steps:
  - name: route
    type: choice
    condition: "params.amount > 100"
    then_step: review
    else_step: pay
  - name: review
    type: lambda
    handler: doors.review
    next: $end
  - name: pay
    type: lambda
    handler: doors.pay
`;

describe('params from the doors arrive as their declared types', () => {
  let dir: string;
  let spine: Spine;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spine-params-'));
    writeFileSync(join(dir, 'payment.yaml'), YAML);
    const handlers = new HandlerRegistry()
      .handler('doors.review', (ctx) => ({ reviewed: ctx.getParam('amount'), amountType: typeof ctx.getParam('amount'), rush: ctx.getParam('rush'), currency: ctx.getParam('currency') }))
      .handler('doors.pay', (ctx) => ({ paid: ctx.getParam('amount') }));
    spine = await Spine.create({ database: 'memory', workflows: [Settle], discover: ['*.yaml'], cwd: dir, handlers: [handlers], recoverOnStart: false });
  });
  afterAll(async () => {
    await spine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--param fail=false arrives as false (and =0, =no); a resume with fail=false after a failure completes', async () => {
    for (const text of ['false', '0', 'no']) {
      const result = await spine.run('doors.settle', { params: fromCli(`fail=${text}`) });
      expect(result.status).toBe('completed');
      expect(result.context.getOutput('settle')).toMatchObject({ fail: false, failType: 'boolean' });
    }
    const failed = await spine.run('doors.settle', { params: fromCli('fail=true', 'batches=3') });
    expect(failed.status).toBe('failed');
    const resumed = await spine.resume(failed.runId, { paramsOverride: fromCli('fail=false') });
    expect(resumed.status).toBe('completed');
    expect(resumed.context.getOutput('settle')).toMatchObject({ fail: false, batches: 3 });
  });

  it('refuses what it cannot read, naming the field and the value sent, and a param the workflow does not have', async () => {
    const error = await spine.run('doors.settle', { params: fromCli('fail=maybe', 'batches=abc', 'bacthes=2') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpineValidationError);
    expect((error as SpineValidationError).violations).toEqual([
      { field: 'bacthes', value: '2', constraints: ['is not a param of workflow "doors.settle" — did you mean "batches"? (its params: batches, fail)'] },
      { field: 'fail', value: 'maybe', constraints: ['must be true or false (or 1/0, yes/no); got "maybe"'] },
      { field: 'batches', value: 'abc', constraints: ['must be a number; got "abc"'] },
    ]);
    expect(await spine.listRuns({ workflow: 'doors.settle' })).toHaveLength(4); // the earlier ones only: nothing was recorded
  });

  it('a YAML workflow declares its params: --param amount=500 is the number 500 and the choice routes on it; defaults and enums apply', async () => {
    const big = await spine.run('doors.payment', { params: fromCli('amount=500', 'rush=yes') });
    expect(big.status).toBe('completed');
    expect(big.completedSteps).toEqual(['route', 'review']);
    expect(big.context.getOutput('review')).toEqual({ reviewed: 500, amountType: 'number', rush: true, currency: 'USD' });
    const small = await spine.run('doors.payment', { params: fromCli('amount=20') });
    expect(small.completedSteps).toEqual(['route', 'pay']);
    const error = await spine.run('doors.payment', { params: fromCli('currency=GBP', 'amount=-1') }).catch((e: unknown) => e);
    expect((error as SpineValidationError).violations).toEqual([
      { field: 'amount', value: '-1', constraints: ['must be at least 0; got "-1"'] },
      { field: 'currency', value: 'GBP', constraints: ['must be one of "USD", "EUR"; got "GBP"'] },
    ]);
    const missing = await spine.run('doors.payment', { params: {} }).catch((e: unknown) => e);
    expect((missing as SpineValidationError).violations).toEqual([{ field: 'amount', value: undefined, constraints: ['is required'] }]);
  });
});
