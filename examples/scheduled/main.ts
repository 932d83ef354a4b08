/**
 * `npm run example:scheduled`: a schedule firing on its own, on an accelerated clock, and a run
 * waiting for a person. `market.close_report` is scheduled at 18:00 New York time on NYSE trading
 * days (the market-data example's exchange calendar as a `TradingCalendar`: Thanksgiving is
 * skipped). The scheduler of this process's worker reads a clock running 100,000× real time
 * through Thanksgiving week 2026; each fire enqueues one run; a day whose price file has too many
 * bad rows waits — parked, holding no process — until the script, acting as a data steward,
 * approves it with a signal. Nothing here is special to the example: a worker fires schedules on
 * the real clock the same way (`npx spine worker`).
 */
import 'reflect-metadata';
import { LambdaStep, Schedule, Spine, StepResult, Workflow, type RunEvent, type WorkflowContext } from 'spine-orchestration';
import { tradingCalendarOf } from '../market-data/trading-calendar';

/** Simulated time: Monday 2026-11-23 00:00 New York, running 100,000× real time. */
const SIM_START = Date.parse('2026-11-23T05:00:00Z');
const SPEED = 100_000;
const REAL_START = Date.now();
const simNow = (): number => SIM_START + (Date.now() - REAL_START) * SPEED;
const SIM_END = Date.parse('2026-11-28T05:00:00Z'); // Saturday 00:00 New York

/** Bad rows in each day's (made-up) closing price file. */
const BAD_ROWS: Readonly<Record<string, number>> = { '2026-11-23': 1, '2026-11-24': 0, '2026-11-25': 2, '2026-11-27': 31 };

@Schedule('0 18 * * *', {
  name: 'close-report.xnys',
  calendar: tradingCalendarOf('XNYS'),
  params: (_fireTime, fire) => ({ day: fire.localDate }),
  catchUp: 'all',
})
@Workflow({ name: 'market.close_report', description: "The day's closing prices, checked and published", queue: 'reports' })
export class CloseReportWorkflow {
  /** A quality gate a person may waive: below 99 % valid rows the run waits for approval. */
  @LambdaStep({ quality: { minValidRate: 0.99 }, qualityMode: 'approve' })
  load(ctx: WorkflowContext) {
    const bad = BAD_ROWS[ctx.getParam<string>('day')] ?? 0;
    return StepResult.ok({ rows: 1_000 - bad }, { quality: { recordCount: 1_000, validCount: 1_000 - bad, invalidCount: bad } });
  }

  @LambdaStep()
  publish(ctx: WorkflowContext) {
    return { published: `close report ${ctx.getParam('day')}: ${ctx.getOutput('load', 'rows')} prices` };
  }
}

const sim = (): string => new Date(simNow()).toLocaleString('en-US', { timeZone: 'America/New_York', weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false });

async function main(): Promise<void> {
  const waiting = new Set<string>();
  const onEvent = (event: RunEvent): void => {
    if (event.type === 'run_started') console.log(`  [${sim()} New York] fired: run ${event.runId.slice(0, 8)} started`);
    if (event.type === 'signal_waiting') {
      console.log(`  [${sim()} New York]   ${event.step}: ${(event.violations ?? []).join('; ')} → waiting for approval (parked)`);
      waiting.add(event.runId);
    }
    if (event.type === 'run_completed') console.log(`  [${sim()} New York]   run ${event.runId.slice(0, 8)} completed`);
  };
  // the worker's scheduler reads the simulated clock; the schedule, first seen now, fires from the simulated Monday
  const spine = await Spine.create({
    database: 'memory',
    workflows: [CloseReportWorkflow],
    recoverOnStart: false,
    onEvent,
    worker: { queues: ['reports'], pollIntervalMs: 20, scheduler: { now: simNow, maxSleepMs: 20 } },
  });
  try {
    console.log('spine-orchestration: a schedule on an accelerated clock (100,000× real time), Thanksgiving week 2026');
    const [schedule] = await spine.listSchedules({ upcoming: 0 });
    console.log(`  schedule ${schedule!.name}: "${schedule!.cron}" in ${schedule!.timezone} on ${schedule!.calendar} trading days, catch-up ${schedule!.catchUp}\n`);
    while (simNow() < SIM_END) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      for (const runId of waiting) {
        waiting.delete(runId);
        const run = (await spine.getRun(runId))!;
        console.log(`  [${sim()} New York]   a data steward approves ${String(run.params.day)} (31 bad rows of 1,000: a known vendor glitch)`);
        await spine.approve(runId, 'load', { by: 'steward', note: 'known vendor glitch' });
      }
    }
    const runs = (await spine.listRuns({ workflow: 'market.close_report' })).reverse();
    console.log(`\nFires of the week (Thanksgiving, Thursday 2026-11-26, is closed):`);
    for (const run of runs) {
      const result = await spine.waitForResult(run.runId, { timeoutMs: 10_000 });
      console.log(`  ${String(run.params.day)}  ${run.triggerSource} ${run.triggerFireTime!.toISOString()}  ${result.status}: ${String(result.context.getOutput('publish', 'published', '-'))}`);
    }
    if (runs.length !== 4) process.exitCode = 1;
  } finally {
    await spine.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
