/**
 * `npm run demo`: the FINRA OTC transparency example end to end on the embedded SQLite store.
 * A weekly refresh, a backfill whose source fails for one week, the failure, the resume that
 * finishes it (only the unfinished weeks run again), the Friday schedule's fire whose week waits
 * for a data steward's approval, and where to look next.
 */
import 'reflect-metadata';
import { relative } from 'node:path';
import { Container } from 'inversify';
import { DataSource } from 'typeorm';
import { Spine, SpineError, type WorkflowResult } from 'spine-orchestration';
import { formatDuration, ProgressReporter } from 'spine-orchestration/cli';
import { describeDatabase, exampleDataSource } from '../example.database';
import { OtcRolling, OtcSymbolWeek } from './finra.entities';
import { bindFinraServices, FINRA_SCHEMA } from './finra.module';
import { defaultDataDir } from './otc-file.source';

const FIRST_WEEK = '2026-08-28';
const BACKFILL = { from: '2026-08-07', to: '2026-10-23', failWeek: '2026-09-18' };
const SCHEDULE = 'finra.weekly_refresh.nms_tier_1';
/** Friday 2026-10-30 18:00 in New York: the schedule refreshes the week that ended 2026-10-16. */
const FRIDAY_FIRE = Date.parse('2026-10-30T22:00:00Z');

const say = (text = ''): void => console.log(text);
const outcome = (r: WorkflowResult): string =>
  r.status === 'completed' ? `completed in ${formatDuration(r.durationMs)}` : `${r.status} at step "${r.errorStep}" after ${formatDuration(r.durationMs)}`;

async function main(): Promise<void> {
  const dataSource = exampleDataSource([FINRA_SCHEMA]);
  const container = new Container();
  container.bind(DataSource).toConstantValue(dataSource);
  bindFinraServices(container);
  const reporter = new ProgressReporter(process.stdout, process.stdout.isTTY ? 'tty' : 'plain');
  const spine = await Spine.create({
    container,
    database: dataSource,
    cwd: __dirname,
    discover: ['*.workflow.{js,ts}', '*.pipeline.{js,ts}'],
    onEvent: reporter.onEvent,
  });
  try {
    say('spine-orchestration demo: FINRA OTC transparency on the embedded SQLite store');
    say(`  runs and domain tables: ${relative(process.cwd(), describeDatabase(dataSource)) || describeDatabase(dataSource)}`);
    say(`  sample files:           ${relative(process.cwd(), defaultDataDir())} (12 weeks × NMS Tier 1, NMS Tier 2, OTC)`);
    say(
      `  workflows:              ${spine
        .workflows()
        .map((w) => w.name)
        .join(', ')}`,
    );

    say(`\n1) finra.weekly_refresh — NMS Tier 1, week ending ${FIRST_WEEK}`);
    const weekly = await spine.run('finra.weekly_refresh', { params: { week_ending: FIRST_WEEK, tier: 'NMS Tier 1' } });
    const ingest = weekly.context.getOutput<{ rowCount: number; rejectedCount: number; rejectReasons: Record<string, number> }>('ingest');
    const validate = weekly.steps.find((s) => s.name === 'validate')?.quality;
    say(
      `   → ${outcome(weekly)}: ${ingest.rowCount} rows, ${ingest.rejectedCount} rejected ${JSON.stringify(ingest.rejectReasons)}; valid rate ${((validate?.validRate ?? 0) * 100).toFixed(2)}% (gate: ≥ 99%)`,
    );
    say(`     rolling metrics: ${weekly.context.getOutput('skipRolling', 'reason', 'computed')}`);

    say(`\n2) finra.backfill ${BACKFILL.from} … ${BACKFILL.to} with the source down for ${BACKFILL.failWeek} (--param fail_week=${BACKFILL.failWeek})`);
    const failed = await spine.run('finra.backfill', { params: { from: BACKFILL.from, to: BACKFILL.to, tier: 'NMS Tier 1', fail_week: BACKFILL.failWeek } });
    say(`   → ${outcome(failed)}`);
    const items = await spine.listRuns({ parentRunId: failed.runId });
    const weeks = failed.context.getOutput<string[]>('weeks', 'weeks').length;
    const done = items.filter((i) => i.status === 'completed').length;
    const failedWeeks = items.filter((i) => i.status === 'failed').length;
    const cancelled = items.filter((i) => i.status === 'cancelled').length;
    say(
      `     of ${weeks} weeks (each a run of its own on the "finra" queue, any worker may take one): ${done} completed, ${failedWeeks} failed` +
        `${cancelled > 0 ? `, ${cancelled} cancelled when the map failed` : ''}`,
    );

    say(`\n3) resume ${failed.runId} with the source back (fail_week cleared)`);
    const resumed = await spine.resume(failed.runId, { paramsOverride: { fail_week: '' } });
    const summary = resumed.context.getOutput<Record<string, unknown>>('summary', undefined, {});
    say(`   → ${outcome(resumed)}: ${weeks - done} week(s) ran again, the other ${done} were already done`);
    say(`     ${summary.weeks} weeks loaded, ${summary.symbolWeeks} symbol-weeks, rolling metrics for ${summary.rollingWeeks} weeks (${summary.rolling} rows)`);

    say(`\n4) the schedule ${SCHEDULE} (Fridays 18:00 New York), fired for Friday 2026-10-30 the way its worker would`);
    const schedule = (await spine.listSchedules()).find((s) => s.name === SCHEDULE)!;
    say(`   next fires: ${schedule.nextFireTimes.map((t) => t.toISOString().slice(0, 16).replace('T', ' ')).join(', ')} UTC`);
    const fired = await fireOnce(spine);
    say(`   → run ${fired.runId} queued on "finra" for week ${String((await spine.getRun(fired.runId))!.params.week_ending)} (steward review on); a worker takes it`);
    spine.startWorker({ queues: ['finra'], scheduler: false });
    const parked = await waitFor(async () => ((await spine.getRun(fired.runId))?.status === 'waiting' ? true : null));
    if (parked) say(`   → parked: no process holds the run while it waits; \`npx spine approve ${fired.runId}\` (or reject) decides from anywhere`);
    await spine.approve(fired.runId, 'stewardReview', { by: 'demo', note: 'three bad rows, known vendor issue' });
    say('   → approved by the demo (what a data steward does)');
    const approved = await spine.waitForResult(fired.runId, { timeoutMs: 30_000 });
    say(`   → ${outcome(approved)}`);

    const top = await dataSource.getRepository(OtcSymbolWeek).find({ where: { tier: 'NMS Tier 1', weekEnding: BACKFILL.to }, order: { totalShares: 'DESC' }, take: 5 });
    const rolling = new Map((await dataSource.getRepository(OtcRolling).find({ where: { tier: 'NMS Tier 1', weekEnding: BACKFILL.to } })).map((r) => [r.symbol, r]));
    say(`\nNMS Tier 1, week ending ${BACKFILL.to}: top symbols by ATS volume`);
    for (const row of top) {
      const r = rolling.get(row.symbol);
      say(
        `   ${row.symbol.padEnd(6)} ${(row.totalShares / 1e6).toFixed(1).padStart(7)} M shares  ${String(row.venueCount).padStart(2)} venues  ` +
          `top ${row.topVenue} ${(row.topVenueShare * 100).toFixed(0)}%  6-week trend ${r?.trend ?? '-'}${r?.changePct != null ? ` (${(r.changePct * 100).toFixed(1)}%)` : ''}`,
      );
    }

    const next: [string, string][] = [
      [`npx spine show ${resumed.runId}`, 'every step: status, attempts, duration, quality, error'],
      ['npx spine schedules', 'the Friday schedule: next fire, last fire and its run'],
      ['npx spine runs', 'the runs just recorded'],
      ['npx spine graph finra.weekly_refresh', 'the workflow as a Mermaid chart (--format dot for Graphviz)'],
      ['npx spine run finra.all_tiers --param week_ending=2026-10-23', 'the three tiers in parallel, with live progress'],
      ['npx spine run finra.weekly_refresh_v2 --param week_ending=2026-10-23', 'the same refresh defined in YAML (finra-otc/workflows/weekly-refresh.yaml)'],
      ['npx spine run finra.backfill --param from=2026-08-07 --param to=2026-10-23 --param tier=OTC --param fail_week=2026-09-04', ''],
      [`npx spine backfill ${SCHEDULE} --from 2026-08-21 --to 2026-11-06 --dry-run`, ''],
      ['npm run example:market-data', 'exchange calendars, multi-source prices, monthly partitions'],
    ];
    const width = Math.max(...next.filter(([, why]) => why !== '').map(([command]) => command.length));
    say('\nTry next:');
    for (const [command, why] of next) say(`   ${why === '' ? command : `${command.padEnd(width)}  # ${why}`}`);
    if (weekly.status !== 'completed' || resumed.status !== 'completed' || approved.status !== 'completed') process.exitCode = 1;
  } finally {
    reporter.stop();
    await spine.close();
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

/**
 * Fires the Friday schedule for 2026-10-30 through its own path. A fire time fires once per
 * database: when an earlier demo in this directory fired it, this one fires a second later (the
 * same week).
 */
async function fireOnce(spine: Spine): Promise<{ runId: string }> {
  for (let second = 0; ; second++) {
    try {
      return await spine.triggerSchedule(SCHEDULE, { at: new Date(FRIDAY_FIRE + second * 1000) });
    } catch (error) {
      if (second >= 60 || !(error instanceof SpineError) || !/fired .* before/.test(error.message)) throw error;
    }
  }
}

/** Polls `probe` until it answers (at most 30 s). */
async function waitFor<T>(probe: () => Promise<T | null>): Promise<T | null> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = await probe();
    if (found !== null || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
