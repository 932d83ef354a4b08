import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Container } from 'inversify';
import { DataSource } from 'typeorm';
import { ErrorCategory, Spine, SpineValidationError } from 'spine-orchestration';
import { AggregateWeekPipeline } from '../../../examples/finra-otc/aggregate-week.pipeline';
import { AllTiersWorkflow } from '../../../examples/finra-otc/all-tiers.workflow';
import { BackfillWorkflow } from '../../../examples/finra-otc/backfill.workflow';
import { ComputeRollingPipeline } from '../../../examples/finra-otc/compute-rolling.pipeline';
import { OtcCapture, OtcNotification, OtcReject, OtcRolling, OtcSymbolWeek, OtcVenueWeek } from '../../../examples/finra-otc/finra.entities';
import { bindFinraServices, FINRA_SCHEMA } from '../../../examples/finra-otc/finra.module';
import { IngestWeekPipeline } from '../../../examples/finra-otc/ingest-week.pipeline';
import { NormalizeWeekPipeline } from '../../../examples/finra-otc/normalize-week.pipeline';
import { defaultDataDir } from '../../../examples/finra-otc/otc-file.source';
import { addDays, OTC_HEADER, weeklyFileName } from '../../../examples/finra-otc/otc.format';
import { SAMPLE_WEEKS } from '../../../examples/finra-otc/data/generate-sample';
import { WeeklyRefreshWorkflow } from '../../../examples/finra-otc/weekly-refresh.workflow';
import { WeeklyRefreshSteps } from '../../../examples/finra-otc/weekly-refresh.handlers';
import { testDrivers, useTestDatabase, type TestDatabase } from '../../support/databases';

const PIPELINES = [IngestWeekPipeline, NormalizeWeekPipeline, AggregateWeekPipeline, ComputeRollingPipeline];
const WORKFLOWS = [WeeklyRefreshWorkflow, BackfillWorkflow, AllTiersWorkflow];

/** A Spine for the FINRA example on the test database, reading weekly files from `dataDir`. */
async function finraSpine(db: TestDatabase, dataDir = defaultDataDir()): Promise<Spine> {
  const container = new Container();
  container.bind(DataSource).toConstantValue(db.dataSource);
  bindFinraServices(container, dataDir);
  return Spine.create({
    container,
    database: db.dataSource,
    workflows: WORKFLOWS,
    pipelines: PIPELINES,
    // the weekly refresh defined in YAML too, its lambda steps on the same handler class
    handlers: [WeeklyRefreshSteps],
    discover: ['workflows/weekly-refresh.yaml'],
    cwd: join(__dirname, '../../../examples/finra-otc'),
    recoverOnStart: false,
    logger: { warn: () => undefined },
  });
}

describe.each(testDrivers())('the FINRA OTC example on %s', (driver) => {
  const db = useTestDatabase(driver, [FINRA_SCHEMA]);
  let spine: Spine;
  const repo = <T extends object>(entity: new () => T) => db().dataSource.getRepository<T>(entity);

  beforeAll(async () => {
    spine = await finraSpine(db());
  }, 60_000);
  afterAll(async () => {
    await spine?.close();
  });

  it('creates its domain tables with a migration that matches its entities (no schema drift)', async () => {
    const pending = await db().dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  describe('finra.weekly_refresh', () => {
    it('rejects the bad rows of a week with their reasons and keeps the rest, idempotently per week and tier', async () => {
      const first = await spine.run('finra.weekly_refresh', { params: { week_ending: '2026-08-28', tier: 'NMS Tier 1' } });
      expect(first.status).toBe('completed');
      const captureId = 'finra-otc:t1:2026-08-28';
      const rejects = await repo(OtcReject).findBy({ captureId });
      expect(rejects.map((r) => r.reason).sort()).toEqual(['blank issueSymbolIdentifier', "lastUpdateDate 2026-08-21 is not the file's week 2026-08-28", 'negative totalWeeklyShareQuantity']);
      const capture = await repo(OtcCapture).findOneByOrFail({ captureId });
      expect(capture).toMatchObject({ rowCount: 741, validCount: 738, rejectedCount: 3 });
      expect(first.steps.find((s) => s.name === 'validate')?.quality?.validRate).toBeCloseTo(738 / 741, 6);

      const again = await spine.run('finra.weekly_refresh', { params: { week_ending: '2026-08-28', tier: 'NMS Tier 1' } });
      expect(again.context.getOutput('ingest', 'unchanged')).toBe(true);
      expect(await repo(OtcCapture).countBy({ weekEnding: '2026-08-28', tier: 'NMS Tier 1' })).toBe(1);
      expect(await repo(OtcReject).countBy({ captureId })).toBe(3);
      const venues = await repo(OtcVenueWeek).findBy({ weekEnding: '2026-08-28', tier: 'NMS Tier 1' });
      // the file has one exact duplicate line; normalizing drops it
      expect(venues.length).toBe(738 - again.context.getOutput<number>('normalize', 'duplicatesDropped'));
    });

    it('aggregates per symbol: totals, venue count and the top venue share', async () => {
      const rows = await repo(OtcVenueWeek).findBy({ weekEnding: '2026-08-28', tier: 'NMS Tier 1', symbol: 'AAPL' });
      const [aggregate] = await repo(OtcSymbolWeek).findBy({ weekEnding: '2026-08-28', tier: 'NMS Tier 1', symbol: 'AAPL' });
      const total = rows.reduce((sum, r) => sum + r.shares, 0);
      expect(aggregate).toMatchObject({ totalShares: total, totalTrades: rows.reduce((sum, r) => sum + r.trades, 0), venueCount: rows.length });
      expect(aggregate!.topVenueShare).toBeCloseTo(Math.max(...rows.map((r) => r.shares)) / total, 9);
      expect(rows.find((r) => r.mpid === aggregate!.topVenue)!.shares).toBe(Math.max(...rows.map((r) => r.shares)));
    });

    it('computes rolling metrics only once six weeks are aggregated (the choice skips them before)', async () => {
      for (const week of SAMPLE_WEEKS.slice(0, 5)) {
        const run = await spine.run('finra.weekly_refresh', { params: { week_ending: week, tier: 'NMS Tier 2' } });
        expect(run.completedSteps).toContain('skipRolling');
        expect(run.skippedSteps).toContain('rolling');
      }
      expect(await repo(OtcRolling).countBy({ tier: 'NMS Tier 2' })).toBe(0);

      const sixth = await spine.run('finra.weekly_refresh', { params: { week_ending: SAMPLE_WEEKS[5]!, tier: 'NMS Tier 2' } });
      expect(sixth.completedSteps).toContain('rolling');
      const rolling = await repo(OtcRolling).findBy({ tier: 'NMS Tier 2' });
      expect(rolling.length).toBe(await repo(OtcSymbolWeek).countBy({ tier: 'NMS Tier 2', weekEnding: SAMPLE_WEEKS[5]! }));
      expect(new Set(rolling.map((r) => r.weekEnding))).toEqual(new Set([SAMPLE_WEEKS[5]]));
      for (const r of rolling) expect(['up', 'down', 'flat', 'new']).toContain(r.trend);
      const notes = await repo(OtcNotification).findBy({ tier: 'NMS Tier 2', weekEnding: SAMPLE_WEEKS[5]! });
      expect(notes[0]!.message).toMatch(/rolling metrics for \d+ symbols/);
    });

    it('refuses a week that is not a Friday and an unknown tier before anything is recorded', async () => {
      const before = (await spine.listRuns({ workflow: 'finra.weekly_refresh', limit: 1000 })).length;
      const error = await spine.run('finra.weekly_refresh', { params: { week_ending: '2026-08-27', tier: 'Tier 3' } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SpineValidationError);
      expect((error as SpineValidationError).violations.map((v) => v.field)).toEqual(['week_ending', 'tier']);
      expect((await spine.listRuns({ workflow: 'finra.weekly_refresh', limit: 1000 })).length).toBe(before);
    });

    it('stops at the quality gate when a file holds too many bad rows, before anything is normalized', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'finra-bad-'));
      const week = addDays(SAMPLE_WEEKS[SAMPLE_WEEKS.length - 1]!, 7);
      const good = readFileSync(join(defaultDataDir(), weeklyFileName(SAMPLE_WEEKS[0]!, 'OTC')), 'utf8')
        .trim()
        .split('\n')
        .slice(1);
      const lines = good.map((line, i) => {
        const fields = line.split('|');
        fields[7] = week;
        if (i % 20 === 0) fields[5] = '-1';
        return fields.join('|');
      });
      writeFileSync(join(dataDir, weeklyFileName(week, 'OTC')), `${OTC_HEADER}\n${lines.join('\n')}\n`);
      const other = await finraSpine(db(), dataDir);
      try {
        const run = await other.run('finra.weekly_refresh', { params: { week_ending: week, tier: 'OTC' } });
        expect(run).toMatchObject({ status: 'failed', errorStep: 'validate', errorCategory: ErrorCategory.DATA_QUALITY });
        expect(run.error).toMatch(/Quality gate of step "validate" failed: validRate 0\.9\d+ is below minValidRate 0\.99/);
        expect(await repo(OtcVenueWeek).countBy({ weekEnding: week, tier: 'OTC' })).toBe(0);
      } finally {
        await other.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe('finra.backfill', () => {
    it('fails at the week whose source is down, and a resume re-runs only the unfinished weeks', async () => {
      const params = { from: SAMPLE_WEEKS[0]!, to: SAMPLE_WEEKS[SAMPLE_WEEKS.length - 1]!, tier: 'OTC', fail_week: SAMPLE_WEEKS[6]! };
      const failed = await spine.run('finra.backfill', { params });
      expect(failed).toMatchObject({ status: 'failed', errorStep: 'refresh' });
      expect(failed.error).toContain(`FINRA OTC source unavailable for week ${SAMPLE_WEEKS[6]} (OTC)`);
      const items = await spine.listRuns({ parentRunId: failed.runId });
      // a distributed map: every week a run of its own on the 'finra' queue
      expect(items.every((i) => i.queue === 'finra')).toBe(true);
      const done = items.filter((i) => i.status === 'completed');
      expect(items.filter((i) => i.status === 'failed').map((i) => i.params.week_ending)).toEqual([SAMPLE_WEEKS[6]]);
      const stepsBefore = new Map(await Promise.all(done.map(async (i) => [i.runId, (await spine.getRunSteps(i.runId)).length] as const)));
      // the failing ingest was tried twice (retry: 2 attempts) before the item failed
      const failedItem = items.find((i) => i.status === 'failed')!;
      expect((await spine.getRunSteps(failedItem.runId)).filter((s) => s.stepName === 'ingest').map((s) => s.status)).toEqual(['retried', 'failed']);

      const resumed = await spine.resume(failed.runId, { paramsOverride: { fail_week: '' } });
      expect(resumed.status).toBe('completed');
      for (const [runId, count] of stepsBefore) expect((await spine.getRunSteps(runId)).length).toBe(count);
      expect((await spine.getRun(failedItem.runId))?.status).toBe('completed');

      const rollingWeeks = (await repo(OtcRolling).find({ where: { tier: 'OTC' } })).map((r) => r.weekEnding);
      expect([...new Set(rollingWeeks)].sort()).toEqual(SAMPLE_WEEKS.slice(5));
      expect(resumed.context.getOutput('summary')).toMatchObject({ tier: 'OTC', weeks: 12, captures: 12, rollingWeeks: 7 });
    }, 60_000);
  });

  describe('finra.all_tiers', () => {
    it('refreshes one week for the three tiers as parallel items', async () => {
      const week = SAMPLE_WEEKS[SAMPLE_WEEKS.length - 1]!;
      const run = await spine.run('finra.all_tiers', { params: { week_ending: week } });
      expect(run.error).toBeNull();
      expect(run.status).toBe('completed');
      expect(run.context.getOutput('summary')).toMatchObject({ tiersRefreshed: 3, tiers: 3 });
      const captures = await repo(OtcCapture).findBy({ weekEnding: week });
      expect(captures.map((c) => c.tier).sort()).toEqual(['NMS Tier 1', 'NMS Tier 2', 'OTC']);
    }, 60_000);
  });

  describe('finra.weekly_refresh_v2 (workflows/weekly-refresh.yaml)', () => {
    it('runs the YAML definition with the same result as the class version: steps, routes, outputs and quality', async () => {
      const params = { week_ending: '2026-09-04', tier: 'NMS Tier 2' };
      const byClass = await spine.run('finra.weekly_refresh', { params });
      const byYaml = await spine.run('finra.weekly_refresh_v2', { params });
      expect(byYaml.status).toBe('completed');
      expect(byYaml.status).toBe(byClass.status);
      expect(byYaml.completedSteps).toEqual(byClass.completedSteps);
      expect(byYaml.skippedSteps).toEqual(byClass.skippedSteps);
      // the second ingest of a week finds its capture unchanged (idempotent per week and tier); the rest is equal
      const output = (result: typeof byClass, step: string) => ({ ...result.context.getOutput<Record<string, unknown>>(step), unchanged: undefined });
      for (const step of ['ingest', 'validate', 'normalize', 'aggregate', 'checkHistory', 'skipRolling', 'notify']) {
        expect([step, output(byYaml, step)]).toEqual([step, output(byClass, step)]);
      }
      expect(byYaml.steps.map((s) => [s.name, s.status, s.quality?.validRate ?? null])).toEqual(byClass.steps.map((s) => [s.name, s.status, s.quality?.validRate ?? null]));
      // the stored spec names the handlers and the conditions
      const definition = spine.workflow('finra.weekly_refresh_v2');
      expect(definition.queue).toBe('finra');
      const steps = definition.steps.map((s) => [s.name, s.type === 'lambda' ? s.handler.name : s.type === 'choice' ? s.when.name : s.type]);
      expect(steps).toContainEqual(['validate', 'finra.otc_transparency.steps.validate_ingest']);
      expect(steps).toContainEqual(['hasHistory', 'condition: not defer_rolling and outputs.checkHistory.weeksAvailable >= outputs.checkHistory.weeksNeeded']);
    }, 60_000);

    it('takes the same routes on params: steward review parks a week below 99.7 % valid in both versions', async () => {
      const params = { week_ending: '2026-09-11', tier: 'NMS Tier 1', steward_review: true, defer_rolling: true };
      const byClass = await spine.run('finra.weekly_refresh', { params });
      const byYaml = await spine.run('finra.weekly_refresh_v2', { params });
      expect([byYaml.status, byYaml.completedSteps, byYaml.skippedSteps]).toEqual([byClass.status, byClass.completedSteps, byClass.skippedSteps]);
      expect(byYaml.context.getOutput('skipRolling')).toEqual({ rolling: 'skipped', reason: 'deferred to the caller' });
    }, 60_000);
  });
});
