import { Step, Workflow, type RunRecord, type StepRecord } from 'spine-orchestration';
import { checkRenames, planRunMove } from '../../../../src/core/runner/run-migration';

const at = new Date('2026-06-01T00:00:00Z');
const run = { runId: 'r', status: 'failed', params: {} } as unknown as RunRecord;
const rec = (stepName: string, status: StepRecord['status'] = 'completed', iteration = 1): StepRecord => ({
  runId: 'r',
  stepName,
  stepType: 'lambda',
  iteration,
  attempt: 1,
  status,
  idempotencyKey: `r:${stepName}:${iteration}`,
  startedAt: at,
  finishedAt: at,
  durationMs: 1,
  output: status === 'completed' ? { [stepName]: true } : null,
  contextUpdates: null,
  error: status === 'failed' ? 'boom' : null,
  errorCategory: null,
  quality: null,
  nextStep: null,
});
const wf = (...names: string[]) => Workflow.define({ name: 'plan', version: 2, steps: names.map((n) => Step.lambda(n, () => ({}))) });
/** Version 1 was a, b, c: a and b completed, c failed. */
const v1Records = [rec('a'), rec('b'), rec('c', 'failed')];

describe('planning a run move to another definition', () => {
  it('unchanged steps: completed ones kept, the failed one re-run', () => {
    expect(planRunMove(run, v1Records, wf('a', 'b', 'c'), {})).toMatchObject({ kept: ['a', 'b'], rerun: 'c', runs: ['c'], skipped: [], removed: [] });
  });

  it('a rename carries the old step rows over to the new name', () => {
    expect(planRunMove(run, v1Records, wf('a', 'load', 'c'), { b: 'load' })).toMatchObject({ kept: ['a', 'load'], rerun: 'c', renames: { b: 'load' } });
  });

  it('a removed step is ignored (its rows stay as history): the run continues after the last step it kept', () => {
    expect(planRunMove(run, v1Records, wf('a', 'c'), {})).toMatchObject({ kept: ['a', 'c'].filter((s) => s === 'a'), rerun: 'c', runs: ['c'], removed: ['b'] });
    expect(planRunMove(run, v1Records, wf('a', 'b', 'd'), {})).toMatchObject({ kept: ['a', 'b'], rerun: null, runs: ['d'], removed: ['c'] });
  });

  it('a step inserted before where the run stands is skipped for this run; one inserted after it runs', () => {
    expect(planRunMove(run, v1Records, wf('a', 'check', 'b', 'c', 'd'), {})).toMatchObject({ kept: ['a', 'b'], rerun: 'c', runs: ['c', 'd'], skipped: ['check'] });
    // the run stands at the failed c: a step put between b and c is before it too
    expect(planRunMove(run, v1Records, wf('a', 'b', 'audit', 'c'), {})).toMatchObject({ kept: ['a', 'b'], rerun: 'c', runs: ['c'], skipped: ['audit'] });
    expect(planRunMove(run, v1Records, wf('a', 'b', 'c', 'audit'), {})).toMatchObject({ kept: ['a', 'b'], rerun: 'c', runs: ['c', 'audit'], skipped: [] });
    // a run that stood between steps (b done, nothing in flight): a step inserted there runs
    expect(planRunMove(run, [rec('a'), rec('b')], wf('a', 'b', 'audit', 'c'), {})).toMatchObject({ kept: ['a', 'b'], rerun: null, runs: ['audit', 'c'], skipped: [] });
  });

  it('a map step whose iterator changed keeps its place: a completed map is kept, the one where the run stands runs again', () => {
    const item = Workflow.define({ name: 'plan.item', version: 2, steps: [Step.lambda('x', () => ({}))] });
    const target = Workflow.define({ name: 'plan', version: 2, steps: [Step.lambda('a', () => ({})), Step.map('fan', { items: [1], iterator: item }), Step.lambda('c', () => ({}))] });
    expect(planRunMove(run, [rec('a'), rec('fan', 'failed')], target, {})).toMatchObject({ kept: ['a'], rerun: 'fan', runs: ['fan', 'c'] });
    expect(planRunMove(run, [rec('a'), rec('fan')], target, {})).toMatchObject({ kept: ['a', 'fan'], rerun: null, runs: ['c'] });
  });

  it('refuses a rename that would merge two steps’ rows, and mappings that do not fit the new version', () => {
    expect(() => planRunMove(run, v1Records, wf('a', 'b', 'c'), { a: 'b' })).toThrow(/renaming "a" to "b" would merge their rows \("b" has rows of its own\); map "b" too/);
    expect(planRunMove(run, v1Records, wf('b', 'a', 'c'), { a: 'b', b: 'a' })).toMatchObject({ kept: ['b', 'a'], renames: { a: 'b', b: 'a' } });
    expect(() => checkRenames('m', { b: 'zz' }, wf('a'))).toThrow(/m: "b" maps to "zz", which is not a step of version 2 \(steps: a\)/);
    expect(checkRenames('m', { b: 'a', c: null }, wf('a'))).toEqual({ b: 'a' });
  });
});
