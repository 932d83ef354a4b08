import { maskSecrets, maskUrl } from '../core/errors/secret-mask';
import { dirname, join, relative } from 'node:path';
import type { Command } from 'commander';
import type { DataSource } from 'typeorm';
import { SpineStartupError } from '../spine/spine-startup.error';
import type { SpineOptions } from '../spine/spine.options';
import { databaseChoice, missingDatabase, resolveDataSource } from '../spine/spine.database';
import { ExitCode } from './cli.error';
import { print, spineClass, type CliIo, type GlobalOptions } from './cli.shared';
import { loadConfig } from './config.loader';
import { readTsConfig } from './tsconfig.reader';
import { packageVersion } from './package-version';

/** One line of the report, and the fix when it is a problem. */
interface Finding {
  readonly label: string;
  readonly text: string;
  readonly fix?: string;
}

/** Executed migrations of a DataSource (empty when its migrations table does not exist yet). */
async function executedMigrations(dataSource: DataSource): Promise<Set<string>> {
  try {
    const rows = (await dataSource.query(`SELECT name FROM ${dataSource.driver.escape('migrations')}`)) as { name: string }[];
    return new Set(rows.map((r) => r.name));
  } catch {
    return new Set();
  }
}

/**
 * `spine doctor`: what the command line sees and whether it will work — Node and package versions,
 * the config and what it registers, the database (and which setting chose it) with its schema's
 * state, the TypeScript flags decorators need — with the fix for each problem. Changes nothing.
 */
export function addDoctorCommand(program: Command, io: CliIo, global: () => GlobalOptions, setExitCode: (code: number) => void): void {
  program
    .command('doctor')
    .description('check the setup: Node, the package, the config and what it registers, the database and its schema, TypeScript decorator flags (changes nothing but --create-database)')
    .option('--create-database', 'create the MySQL/MariaDB or PostgreSQL database the settings name when the server does not have it')
    .action(async (opts: { createDatabase?: boolean }) => {
      const findings: Finding[] = [];
      const node = process.versions.node;
      const [major, minor] = node.split('.').map(Number) as [number, number];
      findings.push(major > 20 || (major === 20 && minor >= 19) ? { label: 'node', text: `v${node}` } : { label: 'node', text: `v${node}`, fix: 'spine-orchestration needs Node 20.19 or newer' });
      findings.push({ label: 'package', text: `spine-orchestration ${packageVersion()} (${relative(io.cwd, join(__dirname, '..', '..')) || '.'})` });
      let loaded: Awaited<ReturnType<typeof loadConfig>>;
      try {
        loaded = await loadConfig(io.cwd, global().config);
      } catch (error) {
        findings.push({ label: 'config', text: 'not loaded', fix: error instanceof Error ? error.message : String(error) });
        return report(io, findings, setExitCode);
      }
      findings.push({ label: 'config', text: relative(io.cwd, loaded.file) || loaded.file });
      if (/\.[cm]?ts$/.test(loaded.file)) {
        const tsconfig = readTsConfig(dirname(loaded.file));
        if (tsconfig?.unreadable !== undefined) {
          findings.push({ label: 'tsconfig', text: `${relative(io.cwd, tsconfig.file)} cannot be read`, fix: `${tsconfig.unreadable} — fix its JSON` });
        } else if (tsconfig === null) {
          findings.push({ label: 'tsconfig', text: 'none found', fix: 'add a tsconfig.json with "experimentalDecorators": true and "emitDecoratorMetadata": true' });
        } else {
          const flags = ['experimentalDecorators', 'emitDecoratorMetadata'].map((flag) => `${flag} ${String(tsconfig.options[flag] ?? 'unset')}`).join(', ');
          const ok = tsconfig.options.experimentalDecorators === true && tsconfig.options.emitDecoratorMetadata === true;
          const where = relative(io.cwd, tsconfig.file) || tsconfig.file;
          findings.push(
            ok
              ? { label: 'tsconfig', text: `${where}: ${flags}` }
              : { label: 'tsconfig', text: `${where}: ${flags}`, fix: `set "experimentalDecorators": true and "emitDecoratorMetadata": true in ${where} (decorators and params conversion need them)` },
          );
        }
      }
      const choice = databaseChoice(loaded.options);
      let schemaCurrent = false;
      const resolved = loaded.options.store === undefined ? resolveDataSource(loaded.options) : null;
      if (resolved === null) {
        findings.push({ label: 'database', text: `${loaded.options.store === undefined ? 'memory (this process only)' : 'a store of your own'} (from ${choice.source})` });
      } else {
        const { dataSource, owned } = resolved;
        const o = dataSource.options as { type: string; database?: unknown; url?: string };
        const what = o.type === 'better-sqlite3' ? `SQLite ${String(o.database)}` : `${o.type} ${maskUrl(o.url ?? String(o.database ?? ''))}`;
        // a DataSource of the config that this command opens is closed by it again
        const opened = !dataSource.isInitialized;
        try {
          if (opened) await openOrCreate(dataSource, opts.createDatabase === true, io);
          const executed = await executedMigrations(dataSource);
          const pending = dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !executed.has(name));
          schemaCurrent = pending.length === 0;
          findings.push(
            pending.length === 0
              ? { label: 'database', text: `${what} (from ${choice.source}); schema current (${dataSource.migrations.length} migration${dataSource.migrations.length === 1 ? '' : 's'})` }
              : {
                  label: 'database',
                  text:
                    `${what} (from ${choice.source}); ${pending.length} migration${pending.length === 1 ? '' : 's'} to run: ${pending.join(', ')} ` +
                    '(the next spine command or Spine.create runs them, or `npx spine migrate`)',
                },
          );
        } catch (error) {
          const name = missingDatabase.is(error) ? missingDatabase.nameOf(dataSource.options) : null;
          if (name !== null) {
            findings.push({
              label: 'database',
              text: `${what} (from ${choice.source}): database "${name}" does not exist`,
              fix: `CREATE DATABASE ${name} (or run spine doctor --create-database); spine creates its tables in it`,
            });
          } else
            findings.push({
              label: 'database',
              text: `${what} (from ${choice.source}): cannot be opened`,
              fix: `${maskSecrets(error instanceof Error ? error.message : String(error))} — check the database settings (the database option or SPINE_DATABASE_URL)`,
            });
        } finally {
          if ((owned || opened) && dataSource.isInitialized) await dataSource.destroy();
          // a connection this command tried and failed may leave its driver's pool open (MySQL): close it, or the process would not exit
          else if (!dataSource.isInitialized) await dataSource.driver.disconnect().catch(() => undefined);
        }
      }
      try {
        const spine = await spineClass().create({ ...loaded.options, database: 'memory', store: undefined, recoverOnStart: false, worker: false });
        const schedules = await spine.listSchedules();
        findings.push({
          label: 'workflows',
          text: `${spine.workflows().length}: ${
            spine
              .workflows()
              .map((w) => w.name)
              .join(', ') || 'none (check the discover globs)'
          }`,
        });
        findings.push({ label: 'schedules', text: `${schedules.length}${schedules.length === 0 ? '' : `: ${schedules.map((s) => s.name).join(', ')}`}` });
        await spine.close();
      } catch (error) {
        const problems = error instanceof SpineStartupError ? error.problems : [error instanceof Error ? error.message : String(error)];
        for (const problem of problems) findings.push({ label: 'start-up', text: 'refused', fix: problem });
      }
      if (schemaCurrent) findings.push(await strandedFinding(loaded.options));
      report(io, findings, setExitCode);
    });
}

/** The runs no live process can execute (a deploy dropped their version), on the configured database: neither recovering nor working here. */
async function strandedFinding(options: SpineOptions): Promise<Finding> {
  try {
    const spine = await spineClass().create({ ...options, recoverOnStart: false, worker: false });
    try {
      const stranded = await spine.strandedRuns();
      if (stranded.length === 0) return { label: 'stranded runs', text: 'none (every waiting run is pinned to a version a live process holds)' };
      const byVersion = [...new Set(stranded.map((s) => `${s.workflowName} v${s.version}`))];
      return {
        label: 'stranded runs',
        text: `${stranded.length} (${byVersion.join(', ')})`,
        fix: `no live process holds their version: \`spine runs --stranded\` lists them; start a worker of the build that has it, or \`spine migrate-runs <workflow> --from <version> --dry-run\``,
      };
    } finally {
      await spine.close();
      if (spine.dataSource?.isInitialized) await spine.dataSource.destroy();
    }
  } catch (error) {
    return { label: 'stranded runs', text: 'not checked', fix: maskSecrets(error instanceof Error ? error.message : String(error)) };
  }
}

function report(io: CliIo, findings: readonly Finding[], setExitCode: (code: number) => void): void {
  const width = Math.max(...findings.map((f) => f.label.length));
  for (const f of findings) print(io, `${f.fix === undefined ? '✓' : '✗'} ${f.label.padEnd(width)}  ${f.text}`);
  const problems = findings.filter((f) => f.fix !== undefined);
  if (problems.length === 0) return print(io, '\nNo problems found.');
  print(io, `\n${problems.length} problem${problems.length === 1 ? '' : 's'}:`);
  for (const f of problems) print(io, `  - ${f.label}: ${f.fix}`);
  setExitCode(ExitCode.RUN_FAILED);
}

/** Opens the database; with --create-database, creates it first when the server does not have it. */
async function openOrCreate(dataSource: DataSource, create: boolean, io: CliIo): Promise<void> {
  try {
    await dataSource.initialize();
  } catch (error) {
    if (!create || !missingDatabase.is(error)) throw error;
    // the failed attempt's pool (MySQL) would keep the process alive: closed before the next one
    await dataSource.driver.disconnect().catch(() => undefined);
    const name = await missingDatabase.create(dataSource.options);
    print(io, `Created database "${name}".`);
    await dataSource.initialize();
  }
}
