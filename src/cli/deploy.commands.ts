import type { Command } from 'commander';
import type { StrandedRun } from '../core/runner/stranded-runs';
import type { MigratedRun } from '../spine/spine.deploys';
import { collect, parsePositiveInt } from './cli.args';
import { CliError } from './cli.error';
import { asUsageError, print, printJson, withSpine, type CliIo, type GlobalOptions } from './cli.shared';
import { formatTime, printable, table } from './run.format';

/** `spine runs --stranded`: runs whose definition no live process holds, and how to move them on. */
export async function listStranded(io: CliIo, global: GlobalOptions, json: boolean): Promise<void> {
  // this command is no process that takes runs: it neither recovers nor marks its definitions held
  await withSpine(io, global, { recoverOnStart: false, worker: false }, async (spine) => {
    const stranded = await spine.strandedRuns();
    if (json) return printJson(io, stranded);
    if (stranded.length === 0) return print(io, 'No stranded runs: every run waiting for a process is pinned to a definition a live process holds.');
    print(io, formatStranded(stranded));
    print(io, `\n${stranded.length} stranded run${stranded.length === 1 ? '' : 's'}. Each waits for a process that holds its version. Fix, per workflow and version:`);
    for (const key of new Set(stranded.map((s) => `${s.workflowName}\u0000${s.version}`))) {
      const [workflow, version] = key.split('\u0000') as [string, string];
      print(io, `  ${workflow} v${version}: start a worker of the build that has it, or  spine migrate-runs ${workflow} --from ${version} --dry-run`);
    }
  });
}

function formatStranded(runs: readonly StrandedRun[]): string {
  return table(
    ['run id', 'workflow', 'version', 'build', 'status', 'since', 'why'],
    runs.map((s) => [
      s.runId,
      s.workflowName,
      `${s.version} (${s.hash.slice(0, 12)})`,
      s.appVersion ?? '-',
      s.queue === null ? s.status : `${s.status} (${s.queue})`,
      formatTime(s.since),
      printable(s.reason.split(';')[0] ?? s.reason),
    ]),
  );
}

/** `--map old=new` (or `old=` for a step the new version does not have). */
function parseMap(pairs: readonly string[]): Record<string, string | null> {
  const map: Record<string, string | null> = {};
  for (const pair of pairs) {
    const match = /^([^=]+)=(.*)$/s.exec(pair);
    if (match === null) throw new CliError(`--map "${pair}" is not old=new. Example: --map load_prices=load (or --map old_step= for a step the new version dropped)`);
    const from = match[1]!.trim();
    if (from in map) throw new CliError(`--map names step "${from}" twice; give each old step one new name.`);
    map[from] = match[2]!.trim() === '' ? null : match[2]!.trim();
  }
  return map;
}

/** One migrated run as a line: what it keeps, re-runs, runs, skips and ignores. */
function describeMove(run: MigratedRun, dryRun: boolean): string {
  const parts = [
    run.kept.length > 0 && `keeps ${run.kept.join(', ')}`,
    run.rerun !== null && `re-runs ${run.rerun}`,
    run.runs.filter((s) => s !== run.rerun).length > 0 && `then runs ${run.runs.filter((s) => s !== run.rerun).join(', ')}`,
    run.skipped.length > 0 && `skips ${run.skipped.join(', ')} (added before where it stands)`,
    run.removed.length > 0 && `ignores ${run.removed.join(', ')} (not in the new version)`,
    Object.keys(run.renames).length > 0 &&
      `renames ${Object.entries(run.renames)
        .map(([a, b]) => `${a}→${b}`)
        .join(', ')}`,
    run.itemsMoved > 0 && `${run.itemsMoved} map items to the new iterator`,
  ].filter(Boolean);
  const verdict = run.problem !== null ? `LEFT: ${run.problem}` : dryRun ? 'would move' : 'moved';
  return `  ${run.runId}  ${run.status.padEnd(7)}  ${verdict}${parts.length > 0 ? `  — ${parts.join(' · ')}` : ''}`;
}

/** The commands of deploys: `migrate-runs`. */
export function addDeployCommands(program: Command, io: CliIo, global: () => GlobalOptions): void {
  program
    .command('migrate-runs')
    .description("move a workflow version's unfinished runs to another version (prints per run what is kept, re-run and skipped)")
    .argument('<workflow>', 'workflow name (see spine workflows)')
    .requiredOption('--from <version>', 'the version whose runs move', parsePositiveInt('--from', 1_000_000))
    .option('--to <version>', 'the version they move to (default: the newest the config registers)', parsePositiveInt('--to', 1_000_000))
    .option('--map <old=new>', 'an old step that has a new name (old= : a step the new version dropped); repeat for more', collect, [])
    .option('--dry-run', 'only print what would happen; nothing changes')
    .option('--json', 'print the result as JSON')
    .action(async (workflow: string, opts: { from: number; to?: number; map: string[]; dryRun?: boolean; json?: boolean }) => {
      const steps = parseMap(opts.map);
      const dryRun = opts.dryRun === true;
      await withSpine(io, global(), { recoverOnStart: false, worker: false }, async (spine) => {
        if (opts.json !== true) print(io, `${dryRun ? 'Planning' : 'Moving'} the unfinished runs of ${workflow} version ${opts.from}${dryRun ? ' (dry run: nothing changes)' : ''}…`);
        const result = await spine
          .migrateRuns(workflow, {
            from: opts.from,
            steps,
            dryRun,
            ...(opts.to !== undefined && { to: opts.to }),
            ...(opts.json !== true && { onRun: (run: MigratedRun) => print(io, describeMove(run, dryRun)) }),
          })
          .catch((error: unknown) => Promise.reject(asUsageError(error)));
        if (opts.json === true) return printJson(io, result);
        const left = result.runs.filter((r) => r.problem !== null).length;
        if (result.runs.length === 0) return print(io, `No unfinished runs of ${workflow} are on version ${result.from}; nothing to move.`);
        const moving = dryRun ? result.runs.length - left : result.moved;
        print(
          io,
          `\n${result.runs.length} run${result.runs.length === 1 ? '' : 's'} of version ${result.from}: ${moving} ${dryRun ? 'would move' : 'moved'} to version ${result.to} (definition ${result.toHash.slice(0, 12)}), ${left} left.`,
        );
        if (dryRun && moving > 0)
          print(io, `Move them: spine migrate-runs ${workflow} --from ${result.from}${opts.to === undefined ? '' : ` --to ${opts.to}`}${opts.map.map((m) => ` --map ${m}`).join('')}`);
        if (!dryRun && result.moved > 0) print(io, 'Queued and parked runs continue on workers of the new version; failed and stopped ones with spine resume <run id>.');
        if (left > 0) print(io, 'Runs left where they are say why; run the command again once that changed (it continues where it stopped).');
      });
    });
}
