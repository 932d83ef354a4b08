import { cliActor } from './cli-actor';
import { packageVersion } from './package-version';
import { Command, CommanderError, Option } from 'commander';
import { renderWorkflowGraph, type GraphFormat } from '../core/definition/workflow.graph';
import type { WorkflowResult } from '../core/runner/workflow-result';
import { RUN_STATUSES, type MapItemRecord, type RunRecord, type RunStatus, type StepRecord } from '../core/store/records/run-record';
import type { Spine } from '../spine/spine';
import { migrateDatabase, resolveDataSource } from '../spine/spine.database';
import { collect, parseAge, parseDateTime, parseInteger, parseParams, parsePositiveInt, parseStatuses, parseTrigger } from './cli.args';
import { TRIGGER_SOURCES, type TriggerSource } from '../core/schedule/trigger';
import { asUsageError, print, printJson, withDatabase, withSpine, type CliIo, type GlobalOptions } from './cli.shared';
import { addDeployCommands, listStranded } from './deploy.commands';
import { addQueueCommands, enqueueRun, requeueRun } from './queue.commands';
import { addScheduleCommands } from './schedule.commands';
import { addConsoleCommand } from './console.command';
import { addDoctorCommand } from './doctor.command';
import { CliError, ExitCode } from './cli.error';
import { loadConfig } from './config.loader';
import { ProgressReporter, type ProgressMode } from './progress.reporter';
import { formatDuration, formatRunHeader, formatRuns, formatSteps, formatTime, outputLine, printable, runOutput, summarizeSteps, table } from './run.format';

/** Commands that only read definitions (workflows, graph) do not open the database: they start faster and work without one. */
const DEFINITIONS_ONLY = { database: 'memory', store: undefined } as const;

/** The run's record and its steps: what `show --json` and `run --json` print. */
async function runReport(spine: Spine, runId: string): Promise<{ run: RunRecord; steps: StepRecord[]; items?: RunRecord[]; mapItems?: MapItemRecord[] }> {
  const run = await spine.getRun(runId);
  if (run === null) throw new CliError(`Run "${runId}" was not found. List recorded runs with: spine runs`);
  const steps = await spine.getRunSteps(runId);
  const items = await spine.listRuns({ parentRunId: runId });
  const mapItems = await spine.listMapItems(runId);
  return { run, steps, ...(items.length > 0 && { items }), ...(mapItems.length > 0 && { mapItems }) };
}

/** `items` grouped by `key`, in their order. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** The signal a run's newest waiting step execution waits for, when that execution has not ended. */
function awaitedSignal(steps: readonly StepRecord[]): { signal: string; deadline: string | null } | null {
  const last = steps[steps.length - 1];
  if (last === undefined || last.status !== 'waiting' || typeof last.output?.signal !== 'string') return null;
  const deadline = typeof last.output.wakeAt === 'string' ? last.output.wakeAt : null;
  return { signal: last.output.signal, deadline };
}

function progressMode(io: CliIo, json: boolean): ProgressMode {
  if (json) return 'silent';
  return io.stdout.isTTY === true ? 'tty' : 'plain';
}

/** First Ctrl-C: stop at the next step boundary (resumable); second: leave at once. */
function stopOnInterrupt(io: CliIo): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130);
    io.stderr.write('\nStopping after the current step (a wait stops at once, a map starts no more items; Ctrl-C again quits at once)…\n');
    controller.abort(new Error('interrupted from the command line'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Prints how a run ended and what to do next; the exit code follows the run's status. */
async function reportResult(io: CliIo, spine: Spine, result: WorkflowResult, json: boolean): Promise<number> {
  // a partial run went to its end: exit 0, with a warning line naming what failed
  const exitCode = result.status === 'completed' || result.status === 'partial' ? ExitCode.OK : ExitCode.RUN_FAILED;
  const durable = spine.durable;
  if (json) {
    const report = durable ? await runReport(spine, result.runId) : { run: summaryOf(result) };
    printJson(io, { ...report, output: runOutput(result), deduplicated: result.deduplicated });
    return exitCode;
  }
  if (result.deduplicated) print(io, `An earlier run with this idempotency key exists: run ${result.runId}, ${result.status}.`);
  const skipped = result.skippedSteps.length > 0 ? `, ${result.skippedSteps.length} skipped` : '';
  if (result.status === 'completed') {
    print(io, `✔ ${result.workflowName} completed in ${formatDuration(result.durationMs)} · ${result.completedSteps.length}/${result.totalSteps} steps${skipped}`);
  } else if (result.status === 'partial') {
    print(io, `⚠ ${result.workflowName} partial in ${formatDuration(result.durationMs)} · ${result.completedSteps.length}/${result.totalSteps} steps${skipped}`);
    print(io, `  warning  ${partialWarning(result)}`);
  } else {
    const where = result.errorStep === null ? '' : ` at step "${result.errorStep}"`;
    print(io, `✘ ${result.workflowName} ${result.status}${where}${result.error === null ? '' : `: ${printable(result.error)}`}`);
  }
  const output = outputLine(runOutput(result));
  if (output !== null) print(io, `  output   ${output}`);
  print(io, `  run id   ${result.runId}`);
  if (durable) {
    print(io, `  details  spine show ${result.runId}`);
    if (result.status === 'failed' || result.status === 'stopped') {
      print(io, `  resume   spine resume ${result.runId}   (change params with --param key=value)`);
    }
  }
  return exitCode;
}

/** What a partial run's warning line says: the steps that failed under CONTINUE and the maps' failed items. */
function partialWarning(result: WorkflowResult): string {
  const parts: string[] = [];
  if (result.failedSteps.length > 0) parts.push(`${result.failedSteps.length === 1 ? 'step' : 'steps'} ${result.failedSteps.map((s) => `"${s}"`).join(', ')} failed (onError: continue)`);
  for (const step of result.steps) {
    const failed = step.type === 'map' && step.status === 'completed' ? (step.quality?.invalidCount ?? 0) : 0;
    if (failed > 0) parts.push(`map "${step.name}": ${failed} of ${step.quality!.recordCount} items failed`);
  }
  return `the run went to its end, but ${parts.join('; ') || 'some work failed'}`;
}

function summaryOf(result: WorkflowResult): Record<string, unknown> {
  const { runId, workflowName, status, errorStep, error, errorCategory, durationMs, completedSteps, failedSteps, skippedSteps } = result;
  return { runId, workflowName, status, errorStep, error, errorCategory, durationMs, completedSteps, failedSteps, skippedSteps, output: runOutput(result) };
}

/**
 * Starts or resumes a run with progress shown and Ctrl-C wired to a graceful stop, then reports
 * how it ended; returns the exit code.
 */
async function followRun(io: CliIo, global: GlobalOptions, json: boolean, start: (spine: Spine, stopSignal: AbortSignal) => Promise<WorkflowResult>): Promise<number> {
  const reporter = new ProgressReporter(io.stdout, progressMode(io, json));
  const interrupt = stopOnInterrupt(io);
  try {
    return await withSpine(io, global, { onEvent: reporter.onEvent }, async (spine) => {
      const result = await start(spine, interrupt.signal).catch((error: unknown) => Promise.reject(asUsageError(error)));
      reporter.stop();
      return reportResult(io, spine, result, json);
    });
  } finally {
    reporter.stop();
    interrupt.dispose();
  }
}

interface RunCommandOptions {
  readonly param: string[];
  readonly paramsFile?: string;
  readonly idempotencyKey?: string;
  readonly workflowVersion?: number;
  readonly json?: boolean;
  readonly enqueue?: boolean;
  readonly queue?: string;
  readonly priority?: number;
  readonly concurrencyKey?: string;
  readonly notBefore?: Date;
}

/** The `spine` command line: every command, with its options, writing to `io`. */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('spine')
    .version(packageVersion(), '-V, --version', "print spine-orchestration's version")
    .description('Run and inspect spine-orchestration workflows.\nReads spine.config.ts (or --config) from this directory or one above it.')
    .option('-c, --config <file>', 'config file (default: spine.config.ts, .js, … found from the working directory up)')
    .showHelpAfterError('(run spine --help to see the commands, spine <command> --help for one)')
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .exitOverride();
  const global = (): GlobalOptions => program.opts<GlobalOptions>();

  program
    .command('run')
    .description('run a workflow and wait for it to finish (exit 0 completed, 1 failed)')
    .argument('<workflow>', 'workflow name (see spine workflows)')
    .option('-p, --param <key=value>', 'a param; repeat for more (key:=json for a typed value)', collect, [])
    .option('--params-file <file>', 'a JSON object of params (--param overrides it)')
    .option('--idempotency-key <key>', 'start at most once per key; a second start reports the first run')
    .option('--workflow-version <n>', 'the registered version of the workflow to start (default: the highest)', parsePositiveInt('--workflow-version', 1_000_000))
    .option('--enqueue', 'record the run for a worker and return at once (see spine worker)')
    .option('--queue <queue>', "with --enqueue: the queue (default: the workflow's, else 'default')")
    .option('--priority <n>', 'with --enqueue: lower runs first (default 0)', parseInteger('--priority', 1_000_000))
    .option('--concurrency-key <key>', "with --enqueue: runs sharing a key never overlap beyond the queue's per-key limit")
    .option('--not-before <time>', 'with --enqueue: not started before this ISO date-time', parseDateTime('--not-before'))
    .option('--json', 'print one JSON document (the run and its steps) instead of progress')
    .action(async (workflow: string, opts: RunCommandOptions) => {
      const params = parseParams(opts.param, opts.paramsFile, io.cwd);
      const idempotency = { ...(opts.idempotencyKey !== undefined && { idempotencyKey: opts.idempotencyKey }), ...(opts.workflowVersion !== undefined && { version: opts.workflowVersion }) };
      const queueing = [
        opts.queue !== undefined && '--queue',
        opts.priority !== undefined && '--priority',
        opts.concurrencyKey !== undefined && '--concurrency-key',
        opts.notBefore !== undefined && '--not-before',
      ].filter(Boolean);
      if (opts.enqueue !== true && queueing.length > 0)
        throw new CliError(`${queueing.join(', ')} ${queueing.length === 1 ? 'works' : 'work'} only with --enqueue (add it to record the run for a worker).`);
      if (opts.enqueue === true) return enqueueRun(io, global(), workflow, { ...opts, params });
      setExitCode(await followRun(io, global(), opts.json === true, (spine, stopSignal) => spine.run(workflow, { params, stopSignal, triggerSource: 'cli', ...idempotency })));
    });

  addQueueCommands(program, io, global);
  addScheduleCommands(program, io, global);
  addConsoleCommand(program, io, global);
  addDoctorCommand(program, io, global, setExitCode);
  addDeployCommands(program, io, global);

  program
    .command('resume')
    .description('continue a failed or stopped run where it stopped (only unfinished work runs again)')
    .argument('<runId>', 'the run (see spine runs)')
    .option('-p, --param <key=value>', 'override a param of the run; repeat for more', collect, [])
    .option('--params-file <file>', 'a JSON object of params to override')
    .option('--allow-definition-change', 'resume even though the workflow changed since the run started (the changed definition runs from where it stopped)')
    .option('--enqueue', "put the run back on its workflow's queue and return at once: a worker resumes it (see spine worker)")
    .option('--json', 'print one JSON document instead of progress')
    .action(async (runId: string, opts: { param: string[]; paramsFile?: string; allowDefinitionChange?: boolean; enqueue?: boolean; json?: boolean }) => {
      const override = parseParams(opts.param, opts.paramsFile, io.cwd);
      const paramsOverride = {
        ...(Object.keys(override).length > 0 && { paramsOverride: override, by: cliActor() }),
        ...(opts.allowDefinitionChange === true && { allowDefinitionChange: true }),
      };
      if (opts.enqueue === true) return requeueRun(io, global(), runId, paramsOverride, opts.json === true);
      setExitCode(
        await followRun(io, global(), opts.json === true, async (spine, stopSignal) => {
          const run = await spine.getRun(runId);
          if (run === null) throw new CliError(`Run "${runId}" was not found. List recorded runs with: spine runs`);
          if (run.status === 'completed' || run.status === 'partial' || run.status === 'cancelled') {
            throw new CliError(`Run "${runId}" is ${run.status}; only failed or stopped runs can be resumed. Start a new one with: spine run ${run.workflowName}`);
          }
          return spine.resume(runId, { stopSignal, ...paramsOverride });
        }),
      );
    });

  program
    .command('runs')
    .description('list recorded runs, newest first')
    .option('-w, --workflow <name>', 'only runs of this workflow')
    .option('-s, --status <status>', `only runs in this status (${RUN_STATUSES.join(', ')}; comma-separated)`, parseStatuses)
    .option('-t, --trigger <source>', `only runs started this way (${TRIGGER_SOURCES.join(', ')})`, parseTrigger)
    .option('--partition <text>', 'only runs whose partition (key=value|…, keys sorted) contains this text, e.g. tier=OTC')
    .option('--since <time>', 'only runs started at or after this ISO date-time', parseDateTime('--since'))
    .option('--until <time>', 'only runs started before this ISO date-time', parseDateTime('--until'))
    .option('-n, --limit <n>', 'at most n runs', parsePositiveInt('--limit', 100_000), 20)
    .option('--stranded', 'only runs no live process can execute: their version (definition) is held by no live worker; with the fix')
    .option('--json', 'print the run records as JSON (as spine.listRuns returns them)')
    .action(async (opts: { workflow?: string; status?: RunStatus[]; trigger?: TriggerSource; partition?: string; since?: Date; until?: Date; limit: number; json?: boolean; stranded?: boolean }) => {
      if (opts.stranded === true) {
        const filters = ['workflow', 'status', 'trigger', 'partition', 'since', 'until'].filter((key) => opts[key as keyof typeof opts] !== undefined);
        if (filters.length > 0) throw new CliError(`--stranded lists every stranded run; it takes no --${filters.join(', --')}.`);
        return listStranded(io, global(), opts.json === true);
      }
      await withDatabase(io, global(), {}, async (spine) => {
        const { workflow, status, trigger, partition, since, until } = opts;
        const filter = Object.fromEntries(Object.entries({ workflow, status, trigger, partition, since, until }).filter(([, v]) => v !== undefined));
        const runs = await spine.listRuns({ limit: opts.limit, ...filter });
        if (opts.json === true) return printJson(io, runs);
        if (runs.length === 0) {
          const filtered = Object.keys(filter).length > 0;
          return print(io, filtered ? 'No runs match the filter.' : 'No runs recorded yet. Start one with: spine run <workflow>');
        }
        print(io, formatRuns(runs));
        print(io, `\n${runs.length} run${runs.length === 1 ? '' : 's'}${runs.length === opts.limit ? ` (the newest ${opts.limit}; --limit for more)` : ''}. Details: spine show <run id>`);
      });
    });

  program
    .command('show')
    .description('show a run: every step with status, attempts, duration, quality and error')
    .argument('<runId>', 'the run (see spine runs)')
    .option('--json', 'print the run, its step records and its map items as JSON')
    .action(async (runId: string, opts: { json?: boolean }) => {
      await withDatabase(io, global(), {}, async (spine) => {
        const report = await runReport(spine, runId);
        if (opts.json === true) return printJson(io, report);
        const { run, steps, items = [], mapItems = [] } = report;
        print(io, formatRunHeader(run));
        print(io, '');
        print(io, formatSteps(summarizeSteps(steps)));
        if (items.length > 0) {
          const counts = new Map<string, number>();
          for (const item of items) counts.set(item.status, (counts.get(item.status) ?? 0) + 1);
          print(io, `\n  map items: ${[...counts].map(([status, n]) => `${n} ${status}`).join(', ')}`);
          for (const item of items.filter((i) => i.status !== 'completed').slice(0, 10)) {
            print(io, `    ${item.runId} ${item.status}${item.errorStep === null ? '' : ` at "${item.errorStep}"`}: ${printable(item.error ?? '')}  params ${printable(JSON.stringify(item.params))}`);
          }
        }
        for (const [step, rows] of groupBy(mapItems, (i) => `${i.stepName}${i.iteration > 1 ? ` (iteration ${i.iteration})` : ''}`)) {
          const failed = rows.filter((i) => i.status === 'failed');
          print(io, `\n  map "${printable(step)}": ${rows.length - failed.length} items completed${failed.length > 0 ? `, ${failed.length} failed` : ''}`);
          for (const item of failed.slice(0, 10)) print(io, `    item ${item.index} failed${item.errorStep === null ? '' : ` at "${printable(item.errorStep)}"`}: ${printable(item.error ?? '')}`);
          if (failed.length > 10) print(io, `    … ${failed.length - 10} more failed items (spine show ${runId} --json lists them all)`);
        }
        const signals = await spine.listSignals(runId);
        if (signals.length > 0) {
          print(io, `\n  signals: ${signals.map((s) => `"${s.name}" ${s.consumedBy === null ? 'pending' : 'consumed'} (sent ${formatTime(s.sentAt)})`).join(', ')}`);
        }
        const awaited = awaitedSignal(steps);
        if (awaited !== null && (run.status === 'running' || run.status === 'waiting' || run.status === 'queued')) {
          const until = awaited.deadline === null ? '' : ` until ${awaited.deadline}`;
          if (awaited.signal.startsWith('approval:')) {
            print(io, `\n  waiting for approval of step "${awaited.signal.slice('approval:'.length)}"${until}: spine approve ${runId}   or   spine reject ${runId} --note <why>`);
          } else {
            print(io, `\n  waiting for signal "${awaited.signal}"${until}: spine signal ${runId} ${awaited.signal} --payload '<json>'`);
          }
        }
        if (run.status === 'failed' || run.status === 'stopped') {
          print(io, `\n  resume it: spine resume ${run.runId}${run.queue === null ? '' : `   (or with --enqueue: a worker on queue "${run.queue}" resumes it)`}`);
        }
      });
    });

  const workflowsCommand = program
    .command('workflows')
    .description('list the workflows the config registers (code, YAML files found by discovery); `workflows import` stores YAML/JSON definitions')
    .option('--json', 'print the workflow specs as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withSpine(io, global(), DEFINITIONS_ONLY, async (spine) => {
        const workflows = spine.workflows();
        if (opts.json === true)
          return printJson(
            io,
            workflows.map((w) => ({ name: w.name, domain: w.domain, description: w.description, steps: w.steps.map((s) => ({ name: s.name, type: s.type })), defaults: w.defaults })),
          );
        if (workflows.length === 0) return print(io, 'No workflows registered. Check the discover globs in the config.');
        print(
          io,
          table(
            ['workflow', 'steps', 'description'],
            workflows.map((w) => [w.name, String(w.steps.length), w.description ?? '']),
          ),
        );
        print(io, '\nRun one: spine run <workflow> --param key=value   Draw one: spine graph <workflow>');
      });
    });

  workflowsCommand
    .command('import')
    .description('store YAML/JSON workflow definitions in the database (core_workflows): checked, compiled with the handlers and pipelines of the config, versioned; workers load them when they start')
    .argument('<files...>', 'workflow definition files (.yaml, .yml, .json)')
    .option('--by <name>', 'who imports them (created_by)')
    .action(async (files: string[], opts: { by?: string }) => {
      await withSpine(io, global(), {}, async (spine) => {
        for (const file of files) {
          let saved;
          try {
            saved = await spine.saveDefinition(file, { createdBy: opts.by ?? null });
          } catch (error) {
            throw asUsageError(error);
          }
          const state = saved.created ? 'stored' : 'already stored (now the active version)';
          print(io, `✔ ${saved.name} version ${saved.version} ${state} · ${saved.hash.slice(0, 12)} · from ${file}`);
        }
        print(io, '\nWorkers with the handlers and pipelines it names run it once they (re)start: spine worker');
      });
    });

  program
    .command('graph')
    .description('draw a workflow (choices and map iterators included) as Mermaid or Graphviz DOT')
    .argument('<workflow>', 'workflow name (see spine workflows)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['mermaid', 'dot']).default('mermaid'))
    .action(async (workflow: string, opts: { format: GraphFormat }) => {
      await withSpine(io, global(), DEFINITIONS_ONLY, async (spine) => {
        const definition = (() => {
          try {
            return spine.workflow(workflow);
          } catch (error) {
            throw asUsageError(error);
          }
        })();
        const lookup = { get: (name: string) => spine.workflows().find((w) => w.name === name) };
        io.stdout.write(renderWorkflowGraph(definition, opts.format, lookup));
      });
    });

  program
    .command('cancel')
    .description('cancel a run: a running run stops at its next step boundary (in whatever process runs it)')
    .argument('<runId>', 'the run (see spine runs)')
    .option('--json', 'print the run record as JSON')
    .action(async (runId: string, opts: { json?: boolean }) => {
      await withDatabase(io, global(), {}, async (spine) => {
        const run = await spine.cancel(runId).catch((error: unknown) => Promise.reject(asUsageError(error)));
        if (opts.json === true) return printJson(io, run);
        if (run.status === 'cancelled') print(io, `Run ${run.runId} (${run.workflowName}) is cancelled.`);
        else {
          print(
            io,
            `Cancellation of run ${run.runId} (${run.workflowName}) requested: ${run.leaseOwner ?? 'the process running it'} stops it at its next step ` +
              'commit or lease renewal. Check with: spine show ' +
              run.runId,
          );
        }
      });
    });

  program
    .command('migrate')
    .description("create or upgrade the database tables (spine's and those the config's DataSource adds)")
    .action(async () => {
      const { options } = await loadConfig(io.cwd, global().config);
      const resolved = resolveDataSource(options);
      if (options.store !== undefined || resolved === null) return print(io, 'The config keeps runs in memory; there is nothing to migrate.');
      const { dataSource } = resolved;
      try {
        if (!dataSource.isInitialized) await dataSource.initialize();
        const applied = await migrateDatabase(dataSource);
        const count = dataSource.migrations.length;
        if (applied.length === 0) print(io, `The database is up to date (${count} migration${count === 1 ? '' : 's'}).`);
        for (const migration of applied) print(io, `applied ${migration.name}`);
      } catch (error) {
        throw new CliError(`Migrating the database failed: ${error instanceof Error ? error.message : String(error)}. Check the database settings in the config.`, ExitCode.RUN_FAILED);
      } finally {
        if (dataSource.isInitialized) await dataSource.destroy();
      }
    });

  program
    .command('purge')
    .description('delete finished runs (and their steps, checkpoints, events) older than an age')
    .requiredOption('--older-than <age>', 'age such as 30d, 12h, 2w', parseAge)
    .option('--keep-failed', 'keep failed runs (to resume or inspect them)')
    .option('--json', 'print {"deleted": n}')
    .action(async (opts: { olderThan: number; keepFailed?: boolean; json?: boolean }) => {
      await withSpine(io, global(), {}, async (spine) => {
        const deleted = await spine.purge({ olderThanDays: opts.olderThan, keepFailed: opts.keepFailed === true });
        if (opts.json === true) return printJson(io, { deleted });
        print(io, `Deleted ${deleted} run${deleted === 1 ? '' : 's'} older than ${opts.olderThan < 1 ? `${Math.round(opts.olderThan * 24 * 60)} minutes` : `${opts.olderThan} days`}.`);
      });
    });

  return program;
}

/** Runs the command line with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = ExitCode.OK;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return ExitCode.OK;
      if (error.code === 'commander.executeSubCommandAsync') return ExitCode.OK;
      return ExitCode.USAGE;
    }
    if (error instanceof CliError) {
      io.stderr.write(`spine: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`spine: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.RUN_FAILED;
  }
}
