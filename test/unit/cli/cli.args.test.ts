import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAge, parseInteger, parseParams, parsePositiveInt, parseStatuses, parseTrigger } from '../../../src/cli/cli.args';

describe('parseParams', () => {
  it('keeps key=value as text and parses key:=json, later flags winning', () => {
    expect(parseParams(['tier=NMS Tier 1', 'weeks:=6', 'tiers:=["OTC"]', 'note=a=b', 'tier=OTC', 'empty='], undefined, '.')).toEqual({
      tier: 'OTC',
      weeks: 6,
      tiers: ['OTC'],
      note: 'a=b',
      empty: '',
    });
  });

  it('puts --param over the params file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spine-params-'));
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ from: '2026-08-07', tier: 'OTC' }));
    expect(parseParams(['tier=NMS Tier 2'], 'p.json', dir)).toEqual({ from: '2026-08-07', tier: 'NMS Tier 2' });
  });

  it.each([
    [['week'], undefined, '--param "week" is not key=value (or key:=json). Example: --param week_ending=2026-10-23'],
    [['n:=six'], undefined, '--param "n:=six": the value after := must be JSON'],
    [['__proto__=x'], undefined, '--param "__proto__=x": "__proto__" cannot be a param name.'],
    [[], 'missing.json', 'could not be read as JSON'],
  ])('refuses %j (file %s) saying what is wrong', (pairs, file, message) => {
    expect(() => parseParams(pairs, file, tmpdir())).toThrow(message);
  });

  it('refuses a params file that is not one JSON object', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spine-params-'));
    writeFileSync(join(dir, 'list.json'), '[1, 2]');
    expect(() => parseParams([], 'list.json', dir)).toThrow('must hold one JSON object of params');
  });
});

describe('parseAge', () => {
  it.each([
    ['30d', 30],
    ['2w', 14],
    ['12h', 0.5],
    ['90m', 90 / 1440],
  ])('%s is %d days', (text, days) => {
    expect(parseAge(text)).toBeCloseTo(days, 10);
  });

  it('names the accepted units for anything else', () => {
    expect(() => parseAge('30')).toThrow('--older-than "30" is not an age. Use a number and a unit: 90m, 12h, 30d or 2w.');
  });
});

describe('parseStatuses and parsePositiveInt', () => {
  it('accepts run statuses, comma-separated, and lists them on a mistake', () => {
    expect(parseStatuses('failed,stopped')).toEqual(['failed', 'stopped']);
    expect(() => parseStatuses('failed,broken')).toThrow('--status broken is not a run status. Use one or more of: queued, running, waiting, completed, partial, failed, stopped, cancelled.');
  });

  it('accepts a trigger source, and lists them on a mistake', () => {
    expect(parseTrigger('schedule')).toBe('schedule');
    expect(() => parseTrigger('Schedule')).toThrow('--trigger Schedule is not a trigger source. Use one of: api, cli, schedule, manual, backfill, console, recovery, signal.');
  });

  it('accepts whole numbers from 1 to the bound, and names the range for anything else', () => {
    expect(parsePositiveInt('--limit', 100_000)('5')).toBe(5);
    expect(parsePositiveInt('--limit', 100_000)('100000')).toBe(100_000);
    for (const bad of ['0', '100001', '99999999999999999999', '1e3', '0x10', '2.5', '', 'NaN', 'Infinity', '-1']) {
      expect(() => parsePositiveInt('--limit', 100_000)(bad)).toThrow(`--limit must be a whole number from 1 to 100000 (got "${bad}").`);
    }
  });

  it('bounds whole numbers that may be negative, and ages', () => {
    expect(parseInteger('--priority', 1_000_000)('-5')).toBe(-5);
    expect(() => parseInteger('--priority', 1_000_000)('99999999999999999999')).toThrow('--priority must be a whole number from -1000000 to 1000000');
    expect(() => parseAge('99999999999999999999d')).toThrow('is over 100 years');
  });
});
