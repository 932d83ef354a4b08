import { compileCron, compileSchedule, dueFires, firesBetween, localDate, nextFires, tradingCalendar, type ScheduleDeclaration } from 'spine-orchestration';

const XNYS = tradingCalendar({ name: 'XNYS', timeZone: 'America/New_York', holidays: ['2026-04-03', '2026-11-26', '2026-12-25'] });
const compile = (declaration: Partial<ScheduleDeclaration> & { cron: string }) => compileSchedule({ workflow: 'wf', ...declaration }, compileCron, { XNYS });
const iso = (dates: readonly Date[]) => dates.map((d) => d.toISOString());

describe('schedule fire times (croner, time zones, DST, calendars)', () => {
  it('reads a cron in its time zone across the day New York moves its clocks forward and back', () => {
    const daily = compile({ cron: '30 2 * * *', timezone: 'America/New_York' });
    // 2026-03-08: 02:30 does not exist in New York; it fires at the first time after the gap (03:00 EDT = 07:00Z)
    expect(iso(firesBetween(daily, new Date('2026-03-06T12:00:00Z'), new Date('2026-03-10T12:00:00Z')))).toEqual([
      '2026-03-07T07:30:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
      '2026-03-10T06:30:00.000Z',
    ]);
    const early = compile({ cron: '30 1 * * *', timezone: 'America/New_York' });
    // 2026-11-01: 01:30 happens twice in New York; it fires once (EDT)
    expect(iso(firesBetween(early, new Date('2026-10-31T00:00:00Z'), new Date('2026-11-02T12:00:00Z')))).toEqual(['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('keeps 18:00 London at 18:00 local when the UK changes its clocks', () => {
    const close = compile({ cron: '0 18 * * MON-FRI', timezone: 'Europe/London' });
    expect(iso(firesBetween(close, new Date('2026-03-26T00:00:00Z'), new Date('2026-03-31T00:00:00Z')))).toEqual([
      '2026-03-26T18:00:00.000Z',
      '2026-03-27T18:00:00.000Z',
      '2026-03-30T17:00:00.000Z', // BST from 2026-03-29
    ]);
    expect(iso(firesBetween(close, new Date('2026-10-22T00:00:00Z'), new Date('2026-10-27T00:00:00Z')))).toEqual([
      '2026-10-22T17:00:00.000Z',
      '2026-10-23T17:00:00.000Z',
      '2026-10-26T18:00:00.000Z', // GMT from 2026-10-25
    ]);
  });

  it("skips a Friday that is an exchange holiday, and fires 'every trading day at 18:00 exchange time'", () => {
    const weekly = compile({ cron: '0 18 * * FRI', calendar: 'XNYS' });
    expect(weekly.timezone).toBe('America/New_York'); // the calendar's zone by default
    const fridays = firesBetween(weekly, new Date('2026-03-26T00:00:00Z'), new Date('2026-04-18T00:00:00Z')).map((d) => localDate(d, 'America/New_York'));
    expect(fridays).toEqual(['2026-03-27', '2026-04-10', '2026-04-17']); // Good Friday 2026-04-03 closed
    const daily = compile({ cron: '0 18 * * *', calendar: XNYS });
    const days = nextFires(daily, new Date('2026-11-24T00:00:00Z'), 4).map((d) => localDate(d, 'America/New_York'));
    expect(days).toEqual(['2026-11-24', '2026-11-25', '2026-11-27', '2026-11-30']); // Thanksgiving and the weekend skipped
    expect(nextFires(daily, new Date('2026-11-24T00:00:00Z'), 1)[0]!.toISOString()).toBe('2026-11-24T23:00:00.000Z');
  });

  it('refuses a bad cron, time zone, calendar or catch-up policy, naming the schedule and each problem', () => {
    expect(() => compile({ name: 'broken', cron: 'every friday' })).toThrow(/schedule "broken": cron "every friday" is not valid: .*/);
    expect(() => compile({ name: 'tz', cron: '0 18 * * FRI', timezone: 'Mars/Olympus' })).toThrow(/schedule "tz": timezone "Mars\/Olympus" is not an IANA time zone/);
    expect(() => compile({ name: 'cal', cron: '0 18 * * FRI', calendar: 'XLON', catchUp: 'sometimes' as never })).toThrow(
      /schedule "cal": calendar "XLON" is not registered \(known: XNYS\); catchUp must be one of all, latest, none \(got "sometimes"\)/,
    );
    expect(() => compile({ cron: '0 * * * *', maxCatchUp: 0 })).toThrow(/schedule "wf@0 \* \* \* \*": maxCatchUp must be a whole number/);
  });
});

describe('due fires and catch-up policies', () => {
  const hourly = (catchUp: 'all' | 'latest' | 'none', extra: Partial<ScheduleDeclaration> = {}) => compile({ cron: '0 * * * *', catchUp, ...extra });
  const cursor = new Date('2026-06-01T00:00:00Z');

  it('fires the fire that just came due, whatever the policy', () => {
    for (const policy of ['all', 'latest', 'none'] as const) {
      const due = dueFires(hourly(policy), cursor, new Date('2026-06-01T01:00:05Z'));
      expect({ policy, fires: iso(due.fires), skipped: due.skipped }).toEqual({ policy, fires: ['2026-06-01T01:00:00.000Z'], skipped: null });
    }
  });

  it("'all' fires each missed fire oldest first, at most maxCatchUp (the newest); 'latest' only the newest; 'none' none", () => {
    const now = new Date('2026-06-01T05:30:00Z'); // fires at 01..05 were missed
    expect(iso(dueFires(hourly('all'), cursor, now).fires)).toEqual(['01', '02', '03', '04', '05'].map((h) => `2026-06-01T${h}:00:00.000Z`));
    const bounded = dueFires(hourly('all', { maxCatchUp: 2 }), cursor, now);
    expect(iso(bounded.fires)).toEqual(['2026-06-01T04:00:00.000Z', '2026-06-01T05:00:00.000Z']);
    expect(bounded.skipped).toEqual({ after: cursor, before: new Date('2026-06-01T04:00:00Z') });
    const latest = dueFires(hourly('latest'), cursor, now);
    expect(iso(latest.fires)).toEqual(['2026-06-01T05:00:00.000Z']);
    expect(latest.skipped).not.toBeNull();
    const none = dueFires(hourly('none'), cursor, now);
    expect(none.fires).toEqual([]);
    expect(none.cursor).toEqual(new Date('2026-06-01T05:00:00Z'));
    for (const policy of ['all', 'latest', 'none'] as const) expect(dueFires(hourly(policy), cursor, now).cursor).toEqual(new Date('2026-06-01T05:00:00Z'));
  });

  it('passes closed days without firing them but moves the cursor past them', () => {
    const daily = compile({ cron: '0 18 * * *', calendar: 'XNYS', catchUp: 'all' });
    const from = new Date('2026-11-25T23:00:00Z'); // Wednesday's fire handled
    const due = dueFires(daily, from, new Date('2026-11-28T12:00:00Z')); // Thanksgiving closed, Friday open
    expect(iso(due.fires)).toEqual(['2026-11-27T23:00:00.000Z']);
    const weekend = dueFires(daily, new Date('2026-11-27T23:00:00Z'), new Date('2026-11-29T23:30:00Z'));
    expect(weekend.fires).toEqual([]);
    expect(weekend.cursor).toEqual(new Date('2026-11-29T23:00:00Z'));
  });

  it('finds nothing due before the next fire time', () => {
    expect(dueFires(hourly('all'), cursor, new Date('2026-06-01T00:59:59Z'))).toEqual({ fires: [], skipped: null, cursor: null });
  });
});
