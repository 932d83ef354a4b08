import { closestNames, didYouMean } from '../../../src/validation/did-you-mean';

describe('did you mean', () => {
  it('suggests near misses and names that contain what was typed, best first', () => {
    expect(closestNames('app.greting', ['app.greeting', 'app.settle'])).toEqual(['app.greeting']);
    expect(closestNames('bacthes', ['batches', 'fail'])).toEqual(['batches']);
    expect(closestNames('finra.weekly', ['finra.weekly_refresh', 'finra.weekly_refresh_v2', 'market.backfill'])).toEqual(['finra.weekly_refresh', 'finra.weekly_refresh_v2']);
    expect(didYouMean('week', ['weeks', 'week_ending', 'tier'])).toBe(' — did you mean "weeks" or "week_ending"?');
  });

  it('stays quiet when nothing is close: a shared namespace is not a likeness', () => {
    expect(closestNames('unit.nope', ['unit.ok'])).toEqual([]);
    expect(didYouMean('zzz', ['alpha', 'beta'])).toBe('');
  });
});
