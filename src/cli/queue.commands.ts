import type { Command } from 'commander';
import type { RunEvent } from '../core/runner/run-event';
import type { RunRecord } from '../core/store/records/run-record';
import { parsePositiveInt, collect } from './cli.args';
import { asUsageError, print, printJson, withDatabase, withSpine, type CliIo, type GlobalOptions } from './cli.shared';
import { formatQueues, formatWorkers } from './queue.format';
import { formatDuration, formatTime, printable } from './run.format';
import { bootNestApp } from './nest.loader';
import { loadConfig } from './config.loader';
import type { NestAppModule } from '../nest/nest-context';
import type { Spine } from '../spine/spine';

/** What `spine run --enqueue` takes. */
export interface EnqueueCommandOptions {
  readonly params: Record<string, unknown>;
  readonly idempotencyKey?: string;
  readonly workflowVersion?: number;
  readonly json?: boolean;
  readonly queue?: string;
  readonly priority?: number;
  readonly concurrencyKey?: string;
  readonly notBefore?: Date;
}

/** `spine run <workflow> --enqueue`: records the run for a worker and says how it will run. */
export async function enqueueRun(io: CliIo, global: GlobalOptions, workflow: string, opts: EnqueueCommandOptions): Promise<void> {
  const { params } = opts;
  const idempotency = { ...(opts.idempotencyKey !== undefined && { idempotencyKey: opts.idempotencyKey }), ...(opts.workflowVersion !== undefined && { version: opts.workflowVersion }) };
  await withSpine(io, global, { recoverOnStart: false }, async (spine) => {
    const { runId } = await spine
      .enqueue(workflow, {
        params,
        triggerSource: 'cli',
        ...idempotency,
        ...(opts.queue !== undefined && { queue: opts.queue }),
        ...(opts.priority !== undefined && { priority: opts.priority }),
        ...(opts.concurrencyKey !== undefined && { concurrencyKey: opts.concurrencyKey }),
        ...(opts.notBefore !== undefined && { notBefore: opts.notBefore }),
      })
      .catch((error: unknown) => Promise.reject(asUsageError(error)));
    const run = (await spine.getRun(runId))!;
    if (opts.json === true) return printJson(io, run);
    print(io, `Enqueued run ${runId} of ${run.workflowName} on queue "${run.queue}"${run.status === 'queued' ? '' : ` (an earlier run with this key: ${run.status})`}.`);
    printQueuedHints(io, run);
  });
}

/** `spine resume <runId> --enqueue`: the run goes back on its queue for a worker; nothing of it runs here. */
export async function requeueRun(
  io: CliIo,
  global: GlobalOptions,
  runId: string,
  options: { readonly paramsOverride?: Readonly<Record<string, unknown>>; readonly allowDefinitionChange?: boolean },
  json: boolean,
): Promise<void> {
  await withSpine(io, global, { recoverOnStart: false }, async (spine) => {
    const run = await spine.requeue(runId, options).catch((error: unknown) => Promise.reject(asUsageError(error)));
    if (json) return printJson(io, run);
    print(io, `Run ${runId} of ${run.workflowName} is back on queue "${run.queue}": a worker resumes it where it stopped.`);
    printQueuedHints(io, run);
  });
}

function printQueuedHints(io: CliIo, run: RunRecord): void {
  print(io, `  a worker runs it   spine worker --queue ${run.queue}`);
  print(io, `  follow it          spine show ${run.runId}`);
}

/** The commands of the run queue: `worker`, `queues`, `workers`. */
export function addQueueCommands(program: Command, io: CliIo, global: () => GlobalOptions): void {
  program
    .command('worker')
    .description('run enqueued runs of some queues until stopped (SIGTERM / Ctrl-C: running runs are handed off to other workers)')
    .option('-q, --queue <queue>', "a queue to serve; repeat for more (default: 'default')", collect, [])
    .option('--concurrency <n>', 'runs executing at once in this process (default 8)', parsePositiveInt('--concurrency', 10_000))
    .option('--poll-interval <ms>', 'how often an idle worker looks for due runs (default 1000)', parsePositiveInt('--poll-interval', 3_600_000))
    .option(
      '--nest <file#export>',
      "serve a Nest application's workflows with its injection: boot its module (src/app.module.ts#AppModule; a class, or a dynamic module such as AppModule.register(…)) as an application context; the config's nest: { module } does the same",
    )
    .action(async (opts: { queue: string[]; concurrency?: number; pollInterval?: number; nest?: string }) => {
      const worker = {
        ...(opts.queue.length > 0 && { queues: opts.queue }),
        ...(opts.concurrency !== undefined && { concurrency: opts.concurrency }),
        ...(opts.pollInterval !== undefined && { pollIntervalMs: opts.pollInterval }),
      };
      const stop = new AbortController();
      const onSignal = (): void => {
        if (stop.signal.aborted) process.exit(130);
        io.stderr.write('\nStopping: no more claims; running runs finish their step and are handed off to other workers (again to quit at once)…\n');
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const log = (event: RunEvent): void => {
        const at = new Date(event.timestamp).toISOString().slice(11, 23);
        const what: Partial<Record<RunEvent['type'], string>> = {
          run_started: 'started',
          run_resumed: `resumed${event.step === undefined ? '' : ` at "${event.step}"`}`,
          run_completed: `completed in ${formatDuration(event.durationMs ?? 0)}`,
          run_failed: `failed${event.step === undefined ? '' : ` at "${event.step}"`}: ${printable(('error' in event && event.error) || '')}`,
          run_cancelled: 'cancelled',
          run_parked: `parked ${('reason' in event && event.reason) || ''}${event.step === undefined ? '' : ` in "${event.step}"`} (lease and slot released)`,
          run_handed_off: 'handed off',
        };
        // runs this worker claimed (a distributed map's items too), not the items of a map run in place
        const text = event.parentRunId === undefined || event.queue !== undefined ? what[event.type] : undefined;
        if (text !== undefined) print(io, `${at} ${event.workflow} ${event.runId} ${text}`);
      };
      const serve = async (spine: Spine, closeApp: (() => Promise<void>) | null): Promise<void> => {
        const queues = (opts.queue.length > 0 ? opts.queue : ['default']).join(', ');
        print(
          io,
          `Worker ${spine.runner.owner} serving ${queues} (${opts.concurrency ?? 8} at once, ${spine.workflows().length} workflow${spine.workflows().length === 1 ? '' : 's'}${closeApp === null ? '' : ' of the Nest application; its logger reports their runs'}). Stop with Ctrl-C or SIGTERM.`,
        );
        const schedules = await spine.listSchedules({ upcoming: 1 });
        if (schedules.length > 0) {
          const next = schedules.filter((s) => !s.paused && s.nextFireTimes[0] !== undefined).sort((a, b) => a.nextFireTimes[0]!.getTime() - b.nextFireTimes[0]!.getTime())[0];
          print(
            io,
            `Firing ${schedules.length} schedule${schedules.length === 1 ? '' : 's'} (each fire time once across every worker)${next === undefined ? '' : `; next: ${next.name} at ${formatTime(next.nextFireTimes[0]!)}`}.`,
          );
        }
        spine.startWorker(worker);
        await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
        const handedOff = spine.activeRuns;
        // a Nest application closes its Spine itself (SpineModule's shutdown hands running runs off)
        await (closeApp ?? (() => spine.close()))();
        print(io, `Worker stopped${handedOff > 0 ? `; ${handedOff} run${handedOff === 1 ? '' : 's'} handed off` : ''}.`);
      };
      try {
        const nest = opts.nest ?? (await nestOfConfig(io, global()));
        if (nest !== undefined) {
          const app = await bootNestApp(io.cwd, nest);
          await serve(app.spine, () => app.close());
        } else await withSpine(io, global(), { onEvent: log }, (spine) => serve(spine, null));
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });

  program
    .command('queues')
    .description('show each queue: queued (due), running, waiting, the oldest queued run, and per concurrency key')
    .option('--json', 'print spine.queueStats() as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withDatabase(io, global(), { recoverOnStart: false }, async (spine) => {
        const stats = await spine.queueStats();
        if (opts.json === true) return printJson(io, stats);
        if (stats.length === 0) return print(io, 'No queued, running or waiting runs on any queue. Enqueue one with: spine run <workflow> --enqueue');
        print(io, formatQueues(stats, new Date(spine.clock.now())));
      });
    });

  program
    .command('workers')
    .description('list worker processes registered on the database, with their queues and last heartbeat')
    .option('--json', 'print spine.listWorkers() as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withDatabase(io, global(), { recoverOnStart: false }, async (spine) => {
        const workers = await spine.listWorkers();
        if (opts.json === true) return printJson(io, workers);
        if (workers.length === 0) return print(io, 'No workers registered. Start one with: spine worker --queue <queue>');
        print(io, formatWorkers(workers, new Date(spine.clock.now())));
      });
    });
}

/** The Nest module a config names (`nest: { module }`), when there is a config and it names one. */
async function nestOfConfig(io: CliIo, global: GlobalOptions): Promise<NestAppModule | undefined> {
  return (await loadConfig(io.cwd, global.config)).nest?.module as NestAppModule | undefined;
}
