import type { Command } from 'commander';
import type { BackfillResult, ScheduleInfo } from '../spine/spine.schedules';
import { parseDateTime } from './cli.args';
import { CliError } from './cli.error';
import { asUsageError, print, printJson, withDatabase, withSpine, type CliIo, type GlobalOptions } from './cli.shared';
import { formatTime, table } from './run.format';

/** The table of `spine schedules`. */
export function formatSchedules(schedules: readonly ScheduleInfo[]): string {
  return table(
    ['schedule', 'workflow', 'cron', 'next fire', 'last fire', 'state'],
    schedules.map((s) => [
      s.name,
      s.workflow,
      `${s.cron} (${s.timezone}${s.calendar === null ? '' : `, ${s.calendar} days`})`,
      s.nextFireTimes[0] === undefined ? '-' : formatTime(s.nextFireTimes[0]),
      s.lastFire === null ? 'never' : `${formatTime(s.lastFire.fireTime)} ${s.lastFire.runId === null ? 'no run (params failed)' : `${s.lastFire.runStatus ?? 'purged'} ${s.lastFire.runId}`}`,
      `${s.paused ? 'PAUSED' : `catch-up ${s.catchUp}`}${s.declaredHere ? '' : ' (declared elsewhere)'}`,
    ]),
  );
}

/** The plan of `spine backfill`, one line per fire time. */
export function formatBackfill(result: BackfillResult): string {
  if (result.entries.length === 0) return `No fire time of "${result.schedule}" in that range.`;
  const verb = { enqueue: result.dryRun ? 'would enqueue' : 'enqueued', resume: result.dryRun ? 'would resume' : 'resumed', skip: 'skip' } as const;
  return table(
    ['fire time', 'date', 'action', 'why', 'run'],
    result.entries.map((e) => [formatTime(e.fireTime), e.localDate, verb[e.action], e.reason, e.runId ?? '']),
  );
}

/** The commands of schedules and signals: `schedules` (list, pause, resume, trigger), `backfill`, `signal`, `approve`, `reject`. */
export function addScheduleCommands(program: Command, io: CliIo, global: () => GlobalOptions): void {
  const schedules = program
    .command('schedules')
    .description('list the schedules: cron and time zone, next fire, last fire and its run, paused or not')
    .option('--json', 'print spine.listSchedules() as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withDatabase(io, global(), { recoverOnStart: false }, async (spine) => {
        const list = await spine.listSchedules();
        if (opts.json === true) return printJson(io, list);
        if (list.length === 0) return print(io, 'No schedules declared. Add @Schedule(cron, options) to a @Workflow class, or schedules: [...] to the config.');
        print(io, formatSchedules(list));
        print(io, '\nWorkers fire them (spine worker). Pause: spine schedules pause <name>   Fire now: spine schedules trigger <name>');
        if (list.some((s) => !s.declaredHere)) {
          print(io, 'Declared elsewhere: another process declares it (the database records it); pause and resume it from here, fire or backfill it where it is declared.');
        }
      });
    });

  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    schedules
      .command(verb)
      .description(
        paused
          ? 'pause a schedule: no worker fires it until it is resumed (kept on the database)'
          : 'resume a paused schedule from now (fires missed while paused are not caught up; backfill fires them)',
      )
      .argument('<schedule>', 'the schedule (see spine schedules)')
      .action(async (name: string) => {
        await withDatabase(io, global(), { recoverOnStart: false }, async (spine) => {
          const state = await (paused ? spine.pauseSchedule(name) : spine.resumeSchedule(name)).catch((error: unknown) => Promise.reject(asUsageError(error)));
          print(io, `Schedule "${state.name}" is ${state.paused ? 'paused' : 'resumed; next fires as listed by spine schedules'}.`);
        });
      });
  }

  schedules
    .command('trigger')
    .description('fire a schedule now (or for --at), through the same path as its scheduler: one queued run')
    .argument('<schedule>', 'the schedule (see spine schedules)')
    .option('--at <time>', 'the fire time its params are computed from (ISO date-time; default now)', parseDateTime('--at'))
    .option('--json', 'print the run record as JSON')
    .action(async (name: string, opts: { at?: Date; json?: boolean }) => {
      await withSpine(io, global(), { recoverOnStart: false }, async (spine) => {
        const fired = await spine.triggerSchedule(name, opts.at === undefined ? {} : { at: opts.at }).catch((error: unknown) => Promise.reject(asUsageError(error)));
        const run = (await spine.getRun(fired.runId))!;
        if (opts.json === true) return printJson(io, run);
        print(io, `Fired "${name}" for ${formatTime(fired.fireTime)}: run ${run.runId} of ${run.workflowName} queued on "${run.queue}", params ${JSON.stringify(run.params)}.`);
        print(io, `  a worker runs it   spine worker --queue ${run.queue}`);
        print(io, `  follow it          spine show ${run.runId}`);
      });
    });

  program
    .command('backfill')
    .description('one run per fire time of a schedule in a date range that has no completed run (missing ones enqueued, failed ones resumed); prints the plan first')
    .argument('<schedule>', 'the schedule (see spine schedules)')
    .requiredOption('--from <date>', "first date (yyyy-mm-dd, in the schedule's time zone)")
    .requiredOption('--to <date>', 'last date (yyyy-mm-dd, included)')
    .option('--dry-run', 'only print the plan')
    .option('--json', 'print the plan (and what was done) as JSON')
    .action(async (name: string, opts: { from: string; to: string; dryRun?: boolean; json?: boolean }) => {
      await withSpine(io, global(), { recoverOnStart: false }, async (spine) => {
        const plan = await spine.backfill(name, { from: opts.from, to: opts.to, dryRun: true }).catch((error: unknown) => Promise.reject(asUsageError(error)));
        const work = plan.entries.filter((e) => e.action !== 'skip').length;
        if (opts.dryRun === true || work === 0) {
          if (opts.json === true) return printJson(io, plan);
          print(io, formatBackfill(plan));
          return print(
            io,
            work === 0
              ? `\nNothing to do: every fire time from ${opts.from} to ${opts.to} has a completed or running run.`
              : `\n${work} of ${plan.entries.length} fire times need a run. Run again without --dry-run to enqueue them.`,
          );
        }
        if (opts.json !== true) {
          print(io, formatBackfill(plan));
          print(io, `\nEnqueuing ${work} run${work === 1 ? '' : 's'}…`);
        }
        const done = await spine.backfill(name, { from: opts.from, to: opts.to });
        if (opts.json === true) return printJson(io, done);
        const count = (action: string): number => done.entries.filter((e) => e.action === action).length;
        const workflow = spine.listSchedules().then((all) => all.find((s) => s.name === name)?.workflow ?? '');
        print(io, `Enqueued ${count('enqueue')}, resumed ${count('resume')}, skipped ${count('skip')}. Workers run them; follow with: spine runs --workflow ${await workflow}`);
      });
    });

  program
    .command('signal')
    .description('send a signal to a run (a waitForSignal step consumes it; kept until one does)')
    .argument('<runId>', 'the run (see spine runs)')
    .argument('<name>', 'the signal name the run waits for')
    .option('--payload <json>', "the payload, as JSON (becomes the waiting step's output)")
    .option('--id <id>', 'an id for this signal: sending again with the same id (a retry) sends nothing new')
    .action(async (runId: string, name: string, opts: { payload?: string; id?: string }) => {
      let payload: unknown = null;
      if (opts.payload !== undefined) {
        try {
          payload = JSON.parse(opts.payload) as unknown;
        } catch (error) {
          throw new CliError(`--payload must be JSON, such as '{"approved":true}' (${(error as Error).message}).`);
        }
      }
      await withDatabase(io, global(), { recoverOnStart: false }, async (spine) => {
        const sent = await spine.signal(runId, name, payload, opts.id === undefined ? {} : { id: opts.id }).catch((error: unknown) => Promise.reject(asUsageError(error)));
        print(io, `Sent signal "${sent.name}" to run ${runId} (#${sent.signalId}). Follow it: spine show ${runId}`);
      });
    });

  for (const [verb, approved] of [
    ['approve', true],
    ['reject', false],
  ] as const) {
    program
      .command(verb)
      .description(approved ? "approve a run's breached 'approve' quality gate: the run goes on" : "reject a run's breached 'approve' quality gate: the step fails (DATA_QUALITY)")
      .argument('<runId>', 'the run waiting for approval (see spine runs --status waiting)')
      .option('--step <step>', 'the gated step (default: the one the run waits at)')
      .option('--note <text>', 'why (kept with the decision; a rejection names it in the error)')
      .option('--by <who>', 'who decides')
      .action(async (runId: string, opts: { step?: string; note?: string; by?: string }) => {
        await withDatabase(io, global(), { recoverOnStart: false }, async (spine) => {
          let step = opts.step;
          if (step === undefined) {
            const pending = await spine.pendingApprovals(runId);
            if (pending.length === 0) throw new CliError(`Run "${runId}" waits for no approval (see spine show ${runId}); name the step with --step to decide ahead.`);
            step = pending[pending.length - 1]!;
          }
          const decision = { ...(opts.note !== undefined && { note: opts.note }), ...(opts.by !== undefined && { by: opts.by }) };
          await (approved ? spine.approve(runId, step, decision) : spine.reject(runId, step, decision)).catch((error: unknown) => Promise.reject(asUsageError(error)));
          print(io, `${approved ? 'Approved' : 'Rejected'} step "${step}" of run ${runId}; ${approved ? 'it goes on' : 'the step fails'} when a worker picks it up. Follow it: spine show ${runId}`);
        });
      });
  }
}
