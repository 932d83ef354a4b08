import { spawn } from 'node:child_process';
import { exec, type Outcome } from '../support/exec';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { serverDrivers } from '../support/databases';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// every test here spawns processes: seconds each on a loaded 2-core machine
jest.setTimeout(60_000);

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');

/** Runs the built `spine` executable in `cwd`. */
const spine = (cwd: string, ...args: string[]): Promise<Outcome> => exec(process.execPath, [cli, ...args], cwd);

/** A project directory with a config of the given kind, its runs in `.spine/spine.db` inside it. */
function project(kind: 'ts' | 'js'): string {
  const dir = mkdtempSync(join(tmpdir(), `spine-cli-${kind}-`));
  if (kind === 'ts') {
    writeFileSync(join(dir, 'spine.config.ts'), `import { examplesConfig } from ${JSON.stringify(join(root, 'examples', 'examples.config'))};\n` + 'export default () => examplesConfig(__dirname);\n');
  } else {
    writeFileSync(join(dir, 'spine.config.js'), `module.exports = () => require(${JSON.stringify(join(root, 'build', 'examples', 'examples.config.js'))}).examplesConfig(__dirname);\n`);
  }
  return dir;
}

/**
 * A user's own TypeScript project: the package linked into node_modules as an install would put
 * it (with its bin), a config discovering src/**\/*.workflow.ts, and two workflows.
 */
function userProject(): string {
  const user = mkdtempSync(join(tmpdir(), 'spine-user-'));
  mkdirSync(join(user, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(root, join(user, 'node_modules', 'spine-orchestration'), 'dir');
  symlinkSync(join('..', 'spine-orchestration', 'dist', 'cli', 'main.js'), join(user, 'node_modules', '.bin', 'spine'));
  mkdirSync(join(user, 'src'));
  writeFileSync(join(user, 'package.json'), JSON.stringify({ name: 'user-app', private: true }));
  writeFileSync(
    join(user, 'src', 'greeting.workflow.ts'),
    [
      "import { LambdaStep, Wait, Workflow, type WorkflowContext } from 'spine-orchestration';",
      "@Workflow({ name: 'app.greeting', defaults: { who: 'world' } })",
      'export class Greeting {',
      "  @LambdaStep() greet(ctx: WorkflowContext) { return { text: `hello ${ctx.getParam('who')}` }; }",
      '}',
      "@Workflow({ name: 'app.settle' })",
      'export class Settle {',
      '  @LambdaStep() fetch() { return { rows: 1 }; }',
      '  @Wait({ seconds: 3600 }) settle() {}',
      '  @LambdaStep() load() { return { loaded: true }; }',
      '}',
    ].join('\n'),
  );
  writeFileSync(join(user, 'spine.config.ts'), "import { defineConfig } from 'spine-orchestration';\nexport default defineConfig({ discover: ['src/**/*.workflow.ts'] });\n");
  return user;
}

const runIdOf = (out: string): string => /run id\s+(\S+)/.exec(out)![1]!;

describe('the spine command line', () => {
  const dirs: string[] = [];
  let dir: string;
  beforeAll(() => {
    dir = project('js');
    dirs.push(dir);
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('prints its commands with --help from the project root through npx (exit 0)', async () => {
    const outcome = await exec('npx', ['--no-install', 'spine', '--help'], root);
    expect(outcome.code).toBe(0);
    for (const command of ['run', 'worker', 'queues', 'workers', 'schedules', 'backfill', 'signal', 'approve', 'reject', 'resume', 'runs', 'show', 'workflows', 'graph', 'cancel', 'migrate', 'purge'])
      expect(outcome.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  }, 30_000); // npx resolves the bin first: seconds on a loaded machine

  it("runs the repository's own examples from its root, as the demo's next steps say: the examples use the same copy of spine as the command (a quality gate sees the step's metrics)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spine-root-'));
    try {
      // the root tsconfig maps spine-orchestration to its sources: the command must not load a second copy through that mapping
      const outcome = await exec(process.execPath, [cli, 'run', 'finra.weekly_refresh', '--param', 'week_ending=2026-10-23', '--param', 'tier=OTC', '--json'], root, {
        SPINE_DATABASE_URL: `sqlite:${join(dir, 'root.db')}`,
      });
      expect(outcome.stderr).toBe('');
      const report = JSON.parse(outcome.stdout) as { run: { status: string }; steps: { stepName: string; status: string; quality: { recordCount: number } | null }[] };
      expect(report.run.status).toBe('completed');
      expect(report.steps.find((s) => s.stepName === 'validate')).toMatchObject({ status: 'completed', quality: { recordCount: expect.any(Number) } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tells the user how to create a config when none is found (exit 2)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'spine-cli-none-'));
    dirs.push(empty);
    const { code, stderr } = await spine(empty, 'workflows');
    expect(code).toBe(2);
    expect(stderr).toContain(`No spine config found in ${empty} or a directory above it. Create spine.config.ts:`);
    expect(stderr).toContain("export default defineConfig({ discover: ['src/**/*.workflow.ts', 'src/**/*.pipeline.ts'] });");
  });

  it('loads a TypeScript config and discovers workflows from TypeScript sources, decorator metadata intact', async () => {
    const ts = project('ts');
    dirs.push(ts);
    const { code, stdout, stderr } = await spine(ts, 'workflows');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^finra\.weekly_refresh\s+11\s+Refresh one week of one tier/m);
    expect(stdout).toMatch(/^market\.daily_prices\s+5\s+/m);
    // the params DTO works only if class-validator's metadata survived the TypeScript loader
    const bad = await spine(ts, 'run', 'finra.weekly_refresh', '--param', 'week_ending=2026-10-22');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('week_ending must be a Friday date');
  }, 60_000);

  it('keeps compiled TypeScript in node_modules/.cache: a second command loads no SWC, an edited file is compiled again, SPINE_TS_CACHE=off keeps nothing', async () => {
    const user = userProject();
    dirs.push(user);
    const bin = join(user, 'node_modules', '.bin', 'spine');
    const cache = join(user, 'node_modules', '.cache', 'spine-orchestration');
    // prints at exit whether @swc/core was loaded in the process
    const probe = join(user, 'swc-probe.cjs');
    writeFileSync(
      probe,
      "process.on('exit', () => process.stderr.write(Object.keys(require.cache).some((f) => f.includes('@swc/core') && !f.endsWith('package.json')) ? 'swc loaded' : 'swc not loaded'));\n",
    );
    const withProbe = { NODE_OPTIONS: `--require ${probe}` };
    const entries = (): string[] => (existsSync(cache) ? readdirSync(cache).filter((f) => f.endsWith('.js')) : []);

    const first = await exec(bin, ['run', 'app.greeting', '--json'], user, withProbe);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('swc loaded');
    expect(entries()).toHaveLength(2); // the config and the workflow module
    const second = await exec(bin, ['run', 'app.greeting', '--json'], user, withProbe);
    expect(second.stderr).toBe('swc not loaded');
    expect((JSON.parse(second.stdout) as { steps: { output: unknown }[] }).steps[0]!.output).toEqual({ text: 'hello world' });

    const workflow = join(user, 'src', 'greeting.workflow.ts');
    writeFileSync(workflow, readFileSync(workflow, 'utf8').replace("defaults: { who: 'world' }", "defaults: { who: 'cache' }"));
    const edited = await exec(bin, ['run', 'app.greeting', '--json'], user, withProbe);
    expect(edited.stderr).toBe('swc loaded');
    expect((JSON.parse(edited.stdout) as { steps: { output: unknown }[] }).steps[0]!.output).toEqual({ text: 'hello cache' });
    expect(entries()).toHaveLength(3);

    writeFileSync(workflow, readFileSync(workflow, 'utf8').replace("defaults: { who: 'cache' }", "defaults: { who: 'off' }"));
    const off = await exec(bin, ['run', 'app.greeting', '--json'], user, { SPINE_TS_CACHE: 'off' });
    expect((JSON.parse(off.stdout) as { steps: { output: unknown }[] }).steps[0]!.output).toEqual({ text: 'hello off' });
    expect(entries()).toHaveLength(3);

    // help and usage errors answer without loading the libraries a command needs
    const libraries = join(user, 'libraries-probe.cjs');
    writeFileSync(
      libraries,
      "process.on('exit', () => process.stderr.write(['typeorm', 'class-validator'].filter((m) => Object.keys(require.cache).some((f) => f.includes(`/node_modules/${m}/`))).join(',') || 'none loaded'));\n",
    );
    const help = await exec(bin, ['--help'], user, { NODE_OPTIONS: `--require ${libraries}` });
    expect([help.code, help.stderr]).toEqual([0, 'none loaded']);
    const usage = await exec(bin, ['resume'], user, { NODE_OPTIONS: `--require ${libraries}` });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/missing required argument 'runId'[\s\S]*none loaded$/);
    // the probe sees them when a command does load them
    expect((await exec(bin, ['workflows'], user, { NODE_OPTIONS: `--require ${libraries}` })).stderr).toContain('class-validator');
  }, 60_000);

  it("works as an installed package's bin in a user's own TypeScript project, recording in its .spine/spine.db", async () => {
    const user = userProject();
    dirs.push(user);
    const run = await exec(join(user, 'node_modules', '.bin', 'spine'), ['run', 'app.greeting', '--param', 'who=spine', '--json'], join(user, 'src'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { run: { status: string; runId: string }; steps: { output: unknown }[]; output: unknown };
    expect(report.run.status).toBe('completed');
    expect(report.steps[0]!.output).toEqual({ text: 'hello spine' });
    expect(report.output).toEqual({ text: 'hello spine' });
    // for people: the run's output on a line of its own; the version; a misspelt workflow's nearest name
    const bin = join(user, 'node_modules', '.bin', 'spine');
    expect((await exec(bin, ['run', 'app.greeting', '--param', 'who=you'], user)).stdout).toMatch(/^ {2}output {3}\{"text":"hello you"\}$/m);
    const version = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
    expect((await exec(bin, ['--version'], user)).stdout).toBe(`${version}\n`);
    // a workflow module that does not load: runs and show still answer from the database, with the problem as a warning; run refuses
    writeFileSync(
      join(user, 'src', 'broken.workflow.ts'),
      "import { PipelineStep, Workflow } from 'spine-orchestration';\n@Workflow({ name: 'app.broken' })\nexport class Broken {\n  @PipelineStep({ pipeline: 'app.nowhere' }) load() {}\n}\n",
    );
    const listed = await exec(bin, ['runs'], user);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/app\.greeting +completed/);
    expect(listed.stderr).toMatch(/^spine: warning: the workflows could not be loaded, so this shows what the database holds:\n {2}- .*app\.nowhere/m);
    expect((await exec(bin, ['show', report.run.runId], user)).code).toBe(0);
    const refused = await exec(bin, ['run', 'app.greeting'], user);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('app.nowhere');
    rmSync(join(user, 'src', 'broken.workflow.ts'));
    const misspelt = await exec(bin, ['run', 'app.greting'], user);
    expect(misspelt.code).toBe(2);
    expect(misspelt.stderr).toContain('Workflow "app.greting" is not registered — did you mean "app.greeting"? Known workflows: app.greeting, app.settle.');
    // run from src/: the config was found one directory up, and the database sits next to it
    expect(existsSync(join(user, '.spine', 'spine.db'))).toBe(true);
    const runs = await exec(join(user, 'node_modules', '.bin', 'spine'), ['--config', join(user, 'spine.config.ts'), 'runs', '--json'], tmpdir());
    expect((JSON.parse(runs.stdout) as { workflowName: string }[]).map((r) => r.workflowName)).toEqual(['app.greeting', 'app.greeting']);
  }, 60_000);

  it("reports a partial run (exit 0, a warning line naming what failed); imports a YAML definition that the user's handlers run, and refuses a broken one naming the line (exit 2)", async () => {
    const user = userProject();
    dirs.push(user);
    writeFileSync(
      join(user, 'src', 'partial.workflow.ts'),
      [
        "import { ErrorPolicy, Handler, LambdaStep, StepResult, Workflow } from 'spine-orchestration';",
        "@Workflow({ name: 'app.partial' })",
        'export class Partial {',
        '  @LambdaStep() load() { return { rows: 3 }; }',
        "  @LambdaStep({ onError: ErrorPolicy.CONTINUE, retry: { maxAttempts: 1 } }) notify() { return StepResult.fail('mail server down', { category: 'NETWORK' }); }",
        '}',
        'export class Greetings {',
        "  @Handler('app.greet') greet(ctx: any, config: any) { return { text: `${config.word} ${ctx.getParam('who')}` }; }",
        '}',
      ].join('\n'),
    );
    const bin = join(user, 'node_modules', '.bin', 'spine');
    const partial = await exec(bin, ['run', 'app.partial'], user);
    expect(partial.code).toBe(0);
    expect(partial.stdout).toMatch(/^⚠ app\.partial partial in .* · 1\/2 steps$/m);
    expect(partial.stdout).toContain('warning  the run went to its end, but step "notify" failed (onError: continue)');
    const listed = await exec(bin, ['runs', '--status', 'partial'], user);
    expect(listed.stdout).toContain('partial');

    writeFileSync(join(user, 'hello.yaml'), 'name: app.hello\nversion: 2\nsteps:\n  - name: greet\n    type: lambda\n    handler: app.greet\n    config: { word: Hello }\n');
    writeFileSync(join(user, 'broken.yaml'), 'name: app.broken\nsteps:\n  - name: greet\n    type: lambda\n    handler: app.greet\n    retries: 3\n');
    const imported = await exec(bin, ['workflows', 'import', 'hello.yaml', '--by', 'ops'], user);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^✔ app\.hello version 2 stored · [0-9a-f]{12} · from hello\.yaml$/m);
    const ran = await exec(bin, ['run', 'app.hello', '--param', 'who=YAML', '--json'], user);
    expect((JSON.parse(ran.stdout) as { steps: { output: unknown }[] }).steps[0]!.output).toEqual({ text: 'Hello YAML' });
    const broken = await exec(bin, ['workflows', 'import', 'broken.yaml'], user);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('broken.yaml:6:5: steps[0]: unknown field "retries"');
  }, 60_000);

  it('loads an ESM TypeScript project (nodenext .js specifiers, rootDir, paths) through SWC, decorator metadata intact, without the typescript package', async () => {
    const user = userProject();
    dirs.push(user);
    rmSync(join(user, 'src', 'greeting.workflow.ts'));
    writeFileSync(join(user, 'package.json'), JSON.stringify({ name: 'esm-app', private: true, type: 'module' }));
    writeFileSync(
      join(user, 'tsconfig.json'),
      '{ "compilerOptions": { "module": "nodenext", "rootDir": "src", "outDir": "dist", "strict": true, "experimentalDecorators": true,\n' +
        '  "emitDecoratorMetadata": true, "baseUrl": ".", "paths": { "@lib/*": ["src/lib/*"] } } }\n',
    );
    // the project depends on class-validator itself, as a user's project with a params class does
    symlinkSync(join(root, 'node_modules', 'class-validator'), join(user, 'node_modules', 'class-validator'), 'dir');
    mkdirSync(join(user, 'src', 'lib'));
    writeFileSync(join(user, 'src', 'lib', 'greeter.ts'), 'export function greet(who: string, times: number): string { return `${"hello ".repeat(times)}${who}`; }\n');
    writeFileSync(join(user, 'src', 'limits.ts'), "import { IsInt, Min } from 'class-validator';\nexport class GreetParams {\n  @IsInt() @Min(1) times!: number;\n}\n");
    writeFileSync(
      join(user, 'src', 'greeting.workflow.ts'),
      [
        "import { LambdaStep, Workflow, type WorkflowContext } from 'spine-orchestration';",
        "import { GreetParams } from './limits.js';",
        "import { greet } from '@lib/greeter';",
        "@Workflow({ name: 'esm.greeting', params: GreetParams, defaults: { times: 1 } })",
        'export class Greeting {',
        "  @LambdaStep() greet(ctx: WorkflowContext) { return { text: greet('esm', ctx.getParam<number>('times')), type: typeof ctx.getParam('times') }; }",
        '}',
      ].join('\n'),
    );
    writeFileSync(join(user, 'spine.config.ts'), "import { defineConfig } from 'spine-orchestration';\nexport default defineConfig({ discover: ['src/**/*.workflow.ts'] });\n");
    const run = await exec(join(user, 'node_modules', '.bin', 'spine'), ['run', 'esm.greeting', '--param', 'times=2', '--json'], user);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { steps: { output: unknown }[] };
    // '2' became 2: the params class kept its design:type metadata
    expect(report.steps[0]!.output).toEqual({ text: 'hello hello esm', type: 'number' });
    const bad = await exec(join(user, 'node_modules', '.bin', 'spine'), ['run', 'esm.greeting', '--param', 'times=0'], user);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('times must not be less than 1');
  }, 60_000);

  it('doctor reports the setup and the fix for each problem: no tsconfig flags; then none; the migrations to run; SPINE_DATABASE_URL is named as the source', async () => {
    const user = userProject();
    dirs.push(user);
    const bin = join(user, 'node_modules', '.bin', 'spine');
    const first = await exec(bin, ['doctor'], user);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/^✓ node +v\d+/m);
    expect(first.stdout).toMatch(/^✓ config +spine\.config\.ts$/m);
    expect(first.stdout).toMatch(/^✗ tsconfig +none found$/m);
    expect(first.stdout).toMatch(
      /^✓ database +SQLite .*\.spine\/spine\.db \(from the default \(\.spine\/spine\.db under the working directory\)\); 13 migrations to run: InitialSchema1767225600000, .*\(the next spine command or Spine\.create runs them, or `npx spine migrate`\)$/m,
    );
    expect(first.stdout).toMatch(/^✓ workflows +2: app\.greeting, app\.settle$/m);
    expect(first.stdout).toContain('1 problem:');
    expect(first.stdout).toContain('- tsconfig: add a tsconfig.json with "experimentalDecorators": true and "emitDecoratorMetadata": true');
    expect((await exec(bin, ['migrate'], user)).code).toBe(0);
    writeFileSync(
      join(user, 'tsconfig.json'),
      '{\n  // as tsc --init writes it, with the two flags on\n  "compilerOptions": { "experimentalDecorators": true, "emitDecoratorMetadata": true, "paths": { "a/*": ["./src/*"] }, },\n}\n',
    );
    const second = await exec(bin, ['doctor'], user);
    expect(second.stdout).toMatch(/^✓ tsconfig +tsconfig\.json: experimentalDecorators true, emitDecoratorMetadata true$/m);
    expect(second.stdout).toMatch(/schema current \(13 migrations\)$/m);
    expect(second.stdout).toMatch(/^✓ stranded runs +none \(every waiting run is pinned to a version a live process holds\)$/m);
    expect(second.stdout).toContain('No problems found.');
    expect(second.code).toBe(0);
    const env = await exec(bin, ['doctor'], user, { SPINE_DATABASE_URL: 'sqlite:elsewhere.db' });
    expect(env.stdout).toMatch(/^✓ database +SQLite .*elsewhere\.db \(from SPINE_DATABASE_URL\); 13 migrations to run/m);
    expect(env.code).toBe(0);
    // a password with an unencoded @ and a password query parameter stay masked in every line
    const hostile = await exec(bin, ['doctor'], user, { SPINE_DATABASE_URL: 'mysql://spine:p@ss:w0rd@127.0.0.1:1/runs?password=hunter2&charset=utf8mb4' });
    expect(hostile.stdout).toContain('mysql mysql://spine:***@127.0.0.1:1/runs?password=***&charset=utf8mb4');
    for (const secret of ['p@ss', 'w0rd', 'hunter2']) expect(`${hostile.stdout}${hostile.stderr}`).not.toContain(secret);
  }, 60_000);

  it('stops a run on Ctrl-C at once even while it waits (exit 1), and says how to resume it', async () => {
    const user = userProject();
    dirs.push(user);
    const child = spawn(join(user, 'node_modules', '.bin', 'spine'), ['run', 'app.settle'], { cwd: user });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 400 && !out.includes('✓ fetch'); i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(err).toContain('Stopping after the current step');
    expect(out).toMatch(/^✘ app\.settle stopped$/m);
    expect(out).toContain(`resume   spine resume ${runIdOf(out)}`);
    const shown = await exec(join(user, 'node_modules', '.bin', 'spine'), ['show', runIdOf(out), '--json'], user);
    const report = JSON.parse(shown.stdout) as { run: { status: string }; steps: { stepName: string; status: string }[] };
    expect(report.run.status).toBe('stopped');
    expect(report.steps.map((st) => `${st.stepName} ${st.status}`)).toEqual(['fetch completed', 'settle waiting']);
  }, 60_000);

  it('enqueues runs for a worker (exit 0 at once), shows them queued, and a worker process runs them until SIGTERM', async () => {
    const own = project('js');
    dirs.push(own);
    const enqueued = await spine(own, 'run', 'finra.weekly_refresh', '--enqueue', '--param', 'week_ending=2026-10-23', '--param', 'tier=OTC', '--priority', '2', '--json');
    expect(enqueued.code).toBe(0);
    const run = JSON.parse(enqueued.stdout) as { runId: string; status: string; queue: string; priority: number };
    expect(run).toMatchObject({ status: 'queued', queue: 'finra', priority: 2 });
    const plain = await spine(own, 'run', 'finra.weekly_refresh', '--enqueue', '--param', 'week_ending=2026-10-16', '--param', 'tier=OTC');
    expect(plain.stdout).toMatch(/^Enqueued run \S+ of finra\.weekly_refresh on queue "finra"\.\n {2}a worker runs it {3}spine worker --queue finra\n/);
    expect((await spine(own, 'run', 'finra.weekly_refresh', '--priority', '1')).stderr).toContain('--priority works only with --enqueue');
    const queues = await spine(own, 'queues');
    expect(queues.stdout).toMatch(/^finra +2 +0 +0 /m);
    expect((await spine(own, 'runs', '--status', 'queued')).stdout).toContain('queued (finra)');
    const failing = JSON.parse(
      (await spine(own, 'run', 'finra.weekly_refresh', '--enqueue', '--json', '--param', 'week_ending=2026-10-09', '--param', 'tier=OTC', '--param', 'fail_week=2026-10-09')).stdout,
    ) as { runId: string };

    const worker = spawn(process.execPath, [cli, 'worker', '--queue', 'finra', '--concurrency', '2', '--poll-interval', '50'], { cwd: own, env: { ...process.env, SPINE_DATABASE_URL: '' } });
    let out = '';
    let err = '';
    worker.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 600 && ((out.match(/ completed in /g) ?? []).length < 2 || !out.includes(`${failing.runId} failed`)); i++) await new Promise((r) => setTimeout(r, 25));
    const workers = await spine(own, 'workers', '--json');
    expect((JSON.parse(workers.stdout) as { queues: string[]; concurrency: number }[])[0]).toMatchObject({ queues: ['finra'], concurrency: 2 });
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/^Worker \S+ serving finra \(2 at once, \d+ workflows\)\. Stop with Ctrl-C or SIGTERM\.$/m);
    expect(out).toMatch(new RegExp(`finra\\.weekly_refresh ${run.runId} started`));
    expect((out.match(/ completed in /g) ?? []).length).toBe(2);
    expect(out).toMatch(/^Worker stopped\.$/m);
    expect(err).toContain('Stopping: no more claims');
    expect((await spine(own, 'show', run.runId)).stdout).toMatch(/COMPLETED[\s\S]*queue {5}finra \(priority 2\)/);
    expect((await spine(own, 'workers')).stdout).toContain('No workers registered.');

    // the failed run goes back on its queue for a worker; nothing of it runs in the command
    expect(out).toContain(`finra.weekly_refresh ${failing.runId} failed at "ingest"`);
    expect((await spine(own, 'show', failing.runId)).stdout).toContain(`resume it: spine resume ${failing.runId}   (or with --enqueue: a worker on queue "finra" resumes it)`);
    const requeued = await spine(own, 'resume', failing.runId, '--enqueue', '--param', 'fail_week=');
    expect(requeued.code).toBe(0);
    expect(requeued.stdout).toBe(
      `Run ${failing.runId} of finra.weekly_refresh is back on queue "finra": a worker resumes it where it stopped.\n` +
        `  a worker runs it   spine worker --queue finra\n  follow it          spine show ${failing.runId}\n`,
    );
    const shown = JSON.parse((await spine(own, 'show', failing.runId, '--json')).stdout) as { run: { status: string; params: Record<string, unknown> } };
    expect(shown.run).toMatchObject({ status: 'queued', params: { fail_week: '' } });
    const twice = await spine(own, 'resume', failing.runId, '--enqueue');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain(`Run "${failing.runId}" of workflow "finra.weekly_refresh" is queued on queue "finra"; only a failed or stopped run can be put back on its queue.`);
  }, 60_000);

  it('lists, pauses, resumes, triggers and backfills schedules; a worker parks the fired run for approval and `spine approve` lets it finish', async () => {
    const own = project('js');
    dirs.push(own);
    const name = 'finra.weekly_refresh.nms_tier_1';
    const listed = await spine(own, 'schedules');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(`^${name.replace(/\./g, '\\.')} +finra\\.weekly_refresh +0 18 \\* \\* FRI \\(America/New_York\\) +\\d{4}-\\d\\d-\\d\\d 2[23]:00:00Z +never +catch-up latest$`, 'm'),
    );
    expect((await spine(own, 'schedules', 'pause', name)).stdout).toContain(`Schedule "${name}" is paused.`);
    expect((await spine(own, 'schedules')).stdout).toMatch(/ PAUSED$/m);
    expect((await spine(own, 'schedules', 'resume', name)).stdout).toContain('is resumed');
    const unknown = await spine(own, 'schedules', 'trigger', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`Schedule "nope" is not declared in this application. Known schedules: ${name}.`);

    const fired = await spine(own, 'schedules', 'trigger', name, '--at', '2026-10-30T22:00:00Z');
    expect(fired.code).toBe(0);
    expect(fired.stdout).toMatch(/^Fired "finra\.weekly_refresh\.nms_tier_1" for 2026-10-30 22:00:00Z: run (\S+) of finra\.weekly_refresh queued on "finra", params .*"week_ending":"2026-10-16"/);
    const runId = /run (\S+) of/.exec(fired.stdout)![1]!;
    const again = await spine(own, 'schedules', 'trigger', name, '--at', '2026-10-30T22:00:00Z');
    expect(again.stderr).toContain(`fired 2026-10-30T22:00:00.000Z before (run ${runId})`);
    const plan = await spine(own, 'backfill', name, '--from', '2026-10-16', '--to', '2026-10-30', '--dry-run');
    expect(plan.stdout).toMatch(/^2026-10-16 22:00:00Z +2026-10-16 +would enqueue +missing/m);
    expect(plan.stdout).toMatch(new RegExp(`^2026-10-30 22:00:00Z +2026-10-30 +skip +queued +${runId}$`, 'm'));
    expect(plan.stdout).toContain('2 of 3 fire times need a run. Run again without --dry-run to enqueue them.');
    expect((await spine(own, 'backfill', name, '--from', '2026-10-30', '--to', '2026-10-16')).stderr).toContain('--from 2026-10-30 is after --to 2026-10-16');

    const worker = spawn(process.execPath, [cli, 'worker', '--queue', 'finra', '--poll-interval', '50'], { cwd: own, env: { ...process.env, SPINE_DATABASE_URL: '' } });
    let out = '';
    worker.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 600 && !out.includes('parked for signal'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(out).toMatch(/^Firing 1 schedule \(each fire time once across every worker\); next: finra\.weekly_refresh\.nms_tier_1 at /m);
    expect(out).toContain(`${runId} parked for signal "approval:stewardReview" in "stewardReview" (lease and slot released)`);
    const shown = await spine(own, 'show', runId);
    expect(shown.stdout).toMatch(/WAITING[\s\S]*trigger {3}manual of schedule "finra\.weekly_refresh\.nms_tier_1" for 2026-10-30 22:00:00Z[\s\S]*wakes {5}when its signal comes/);
    expect(shown.stdout).toContain(`waiting for approval of step "stewardReview": spine approve ${runId}`);
    const approved = await spine(own, 'approve', runId, '--by', 'ana', '--note', 'vendor gap');
    expect(approved.stdout).toContain(`Approved step "stewardReview" of run ${runId}`);
    for (let i = 0; i < 600 && !out.includes(`${runId} completed in`); i++) await new Promise((r) => setTimeout(r, 25));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain(`${runId} resumed at "stewardReview"`);
    expect((await spine(own, 'show', runId)).stdout).toMatch(/COMPLETED[\s\S]*signals: "approval:stewardReview" consumed/);
    const late = await spine(own, 'signal', runId, 'approval:stewardReview');
    expect(late.code).toBe(2);
    expect(late.stderr).toContain(`Run "${runId}" of workflow "finra.weekly_refresh" is completed; the signal "approval:stewardReview" was not sent`);
    expect((await spine(own, 'signal', runId, 'x', '--payload', '{bad')).stderr).toContain('--payload must be JSON');
  }, 90_000);

  it('runs a workflow with plain progress lines when piped, and exits 0 when it completes', async () => {
    const { code, stdout } = await spine(dir, 'run', 'finra.weekly_refresh', '--param', 'week_ending=2026-08-28', '--param', 'tier=NMS Tier 1');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^▶ finra\.weekly_refresh · run \S+$/m);
    expect(stdout).toMatch(/^ {2}✓ ingest \(\d+ ms\)$/m);
    expect(stdout).toMatch(/^ {2}– rolling skipped: "hasHistory" routed to "skipRolling"$/m);
    expect(stdout).toMatch(/^✔ finra\.weekly_refresh completed in .* · 9\/11 steps, 2 skipped$/m);
    expect(stdout).not.toContain('\x1b[');
    expect(stdout).toContain(`details  spine show ${runIdOf(stdout)}`);
  });

  it('prints one JSON document with --json: the run record and its step records', async () => {
    const { code, stdout } = await spine(dir, 'run', 'finra.weekly_refresh', '--param', 'week_ending=2026-09-04', '--param', 'tier=OTC', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { run: { status: string; workflowName: string }; steps: { stepName: string; status: string }[]; deduplicated: boolean };
    expect(report.run).toMatchObject({ status: 'completed', workflowName: 'finra.weekly_refresh' });
    expect(report.steps.map((s) => s.stepName)).toEqual([
      'ingest',
      'validate',
      'needsReview',
      'stewardReview',
      'normalize',
      'aggregate',
      'checkHistory',
      'hasHistory',
      'rolling',
      'skipRolling',
      'notify',
    ]);
    expect(report.deduplicated).toBe(false);
  });

  it('starts a run once per idempotency key', async () => {
    const first = await spine(dir, 'run', 'finra.weekly_refresh', '--param', 'week_ending=2026-09-11', '--idempotency-key', 'otc-2026-09-11', '--param', 'tier=OTC');
    const second = await spine(dir, 'run', 'finra.weekly_refresh', '--param', 'week_ending=2026-09-11', '--idempotency-key', 'otc-2026-09-11', '--param', 'tier=OTC');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`An earlier run with this idempotency key exists: run ${runIdOf(first.stdout)}, completed.`);
  });

  it('lists runs as a table, filtered, and as the same records listRuns returns with --json', async () => {
    const table = await spine(dir, 'runs', '--workflow', 'finra.weekly_refresh', '--status', 'completed', '--limit', '2');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^RUN ID\s+WORKFLOW\s+STATUS\s+STARTED\s+DURATION\s+STEPS\s+ERROR$/m);
    expect(table.stdout.match(/finra\.weekly_refresh\s+completed/g)).toHaveLength(2);
    expect(table.stdout).toContain('(the newest 2; --limit for more)');
    const json = await spine(dir, 'runs', '--json');
    const runs = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(runs.length).toBe(3);
    expect(Object.keys(runs[0]!)).toEqual(expect.arrayContaining(['runId', 'workflowName', 'status', 'params', 'startedAt', 'completedSteps', 'totalSteps', 'error']));

    // the console's filters: trigger, partition text, a time window
    const byCli = JSON.parse((await spine(dir, 'runs', '--trigger', 'cli', '--until', '2999-01-01T00:00:00Z', '--json')).stdout) as { runId: string; triggerSource: string }[];
    expect(byCli.map((r) => r.runId)).toEqual(runs.map((r) => r.runId));
    expect((await spine(dir, 'runs', '--trigger', 'schedule')).stdout).toBe('No runs match the filter.\n');
    expect((await spine(dir, 'runs', '--since', '2999-01-01T00:00:00Z')).stdout).toBe('No runs match the filter.\n');
    expect((await spine(dir, 'runs', '--partition', 'tier=OTC')).stdout).toBe('No runs match the filter.\n'); // these runs were started without a partition
    const badTrigger = await spine(dir, 'runs', '--trigger', 'cron');
    expect(badTrigger.code).toBe(2);
    expect(badTrigger.stderr).toContain('--trigger cron is not a trigger source. Use one of: api, cli, schedule, manual, backfill, console, recovery, signal.');
  });

  it('fails a backfill at the broken week (exit 1), shows it, and resumes it to completion with a changed param', async () => {
    const failed = await spine(dir, 'run', 'finra.backfill', '--param', 'from=2026-08-07', '--param', 'to=2026-10-23', '--param', 'tier=NMS Tier 2', '--param', 'fail_week=2026-09-18');
    expect(failed.code).toBe(1);
    const runId = runIdOf(failed.stdout);
    // the failed week fails the (distributed) map: weeks not finished by then are cancelled
    expect(failed.stdout).toMatch(/^ {2}✗ refresh \d+\/12 items, 1 failed \((\d+ ms|[\d.]+ s)\): map step "refresh": 1 of 12 items failed/m);
    expect(failed.stdout).toContain('✘ finra.backfill failed at step "refresh": map step "refresh": 1 of 12 items failed');
    expect(failed.stdout).toContain(`resume   spine resume ${runId}`);

    const shown = await spine(dir, 'show', runId);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Run ${runId}  finra.backfill  FAILED`);
    expect(shown.stdout).toMatch(/^ {2}STEP\s+TYPE\s+STATUS\s+ATTEMPTS\s+DURATION\s+QUALITY\s+ERROR$/m);
    expect(shown.stdout).toMatch(/^ {2}refresh\s+map\s+failed\s+1\s+.*12 records, \d+\.\d% valid/m);
    const items = /map items: (.*)\n/.exec(shown.stdout)?.[1]?.split(', ') ?? [];
    expect(items).toContain('1 failed');
    expect(items.every((count) => /^\d+ (completed|failed|cancelled)$/.test(count))).toBe(true);
    expect(shown.stdout).toMatch(/:refresh:1:6 failed at "ingest": FINRA OTC source unavailable for week 2026-09-18/);
    expect(shown.stdout).toContain(`resume it: spine resume ${runId}`);

    const resumed = await spine(dir, 'resume', runId, '--param', 'fail_week=');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`▶ resuming finra.backfill · run ${runId} at step "refresh"`);
    expect(resumed.stdout).toMatch(/^ {2}✓ rolling \(\d+ ms\)$/m);
    expect(resumed.stdout).toMatch(/^✔ finra\.backfill completed in /m);

    const again = await spine(dir, 'resume', runId);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`Run "${runId}" is completed; only failed or stopped runs can be resumed.`);
  }, 60_000);

  it('draws a workflow as Mermaid and as DOT, choices and map iterators included', async () => {
    const mermaid = await spine(dir, 'graph', 'finra.backfill');
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toMatch(/^flowchart TD$/m);
    expect(mermaid.stdout).toContain('subgraph w_1_iterator["each item: finra.weekly_refresh"]');
    expect(mermaid.stdout).toContain('w_1_i_7{"hasHistory?"}');
    expect(mermaid.stdout).toContain('w_1_i_7 -->|yes| w_1_i_8');
    expect(mermaid.stdout).toContain('w_1_i_7 -->|no| w_1_i_9');
    const dot = await spine(dir, 'graph', 'market.daily_prices', '--format', 'dot');
    expect(dot.stdout).toMatch(/^digraph "market\.daily_prices" \{$/m);
    expect(dot.stdout).toContain('w_1 [label="isTradingDay?", shape=diamond];');
    expect(dot.stdout).toContain('w_2 -> w_end;');
    const bad = await spine(dir, 'graph', 'finra.backfill', '--format', 'svg');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Allowed choices are mermaid, dot');
  });

  it('refuses bad params before recording anything, naming each field (exit 2)', async () => {
    const before = JSON.parse((await spine(dir, 'runs', '--json', '--limit', '100')).stdout) as unknown[];
    const { code, stderr } = await spine(dir, 'run', 'finra.weekly_refresh', '--param', 'week_ending=23/10/2026', '--param', 'tier=NMS Tier 9');
    expect(code).toBe(2);
    expect(stderr).toContain('Invalid params for workflow "finra.weekly_refresh" (2 fields); no run was started:');
    expect(stderr).toContain('  - week_ending: week_ending must be a Friday date (a week ending) like 2026-10-23; got "23/10/2026"');
    expect(stderr).toContain('  - tier: tier must be one of: NMS Tier 1, NMS Tier 2, OTC');
    const after = JSON.parse((await spine(dir, 'runs', '--json', '--limit', '100')).stdout) as unknown[];
    expect(after.length).toBe(before.length);
    const syntax = await spine(dir, 'run', 'finra.weekly_refresh', '--param', 'week_ending');
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toContain('--param "week_ending" is not key=value (or key:=json).');
    // numbers out of range are usage errors, never a raw database error
    const huge = await spine(dir, 'runs', '--limit', '99999999999999999999');
    expect(huge.code).toBe(2);
    expect(huge.stderr).toContain('--limit must be a whole number from 1 to 100000 (got "99999999999999999999")');
    const nested = await spine(dir, 'run', 'finra.weekly_refresh', '--param', 'week_ending=2026-10-23', '--param', 'tier=OTC', '--param', 'extra:={"__proto__": {"admin": true}}');
    expect(nested.code).toBe(2);
    expect(nested.stderr).toContain('.extra.__proto__: the keys __proto__, constructor and prototype are never merged');
    const last = JSON.parse((await spine(dir, 'runs', '--json', '--limit', '100')).stdout) as unknown[];
    expect(last.length).toBe(before.length);
  });

  it('names the known workflows for an unknown one, and says how to find runs for an unknown run id (exit 2)', async () => {
    const workflow = await spine(dir, 'run', 'finra.weekly');
    expect(workflow.code).toBe(2);
    expect(workflow.stderr).toContain(
      'Workflow "finra.weekly" is not registered — did you mean "finra.weekly_refresh" or "finra.weekly_refresh_v2"? Known workflows: finra.all_tiers, finra.backfill, finra.weekly_refresh, finra.weekly_refresh_v2, market.backfill',
    );
    const run = await spine(dir, 'show', 'no-such-run');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Run "no-such-run" was not found. List recorded runs with: spine runs');
    const usage = await spine(dir, 'runs', '--status', 'done');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--status done is not a run status.');
  });

  it('cancels a failed run, and then will not resume it', async () => {
    const failed = await spine(dir, 'run', 'market.daily_prices', '--param', 'date=2026-03-02');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('run `spine run market.calendar_sync` first');
    const runId = runIdOf(failed.stdout);
    const cancelled = await spine(dir, 'cancel', runId);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain(`Run ${runId} (market.daily_prices) is cancelled.`);
    expect((await spine(dir, 'resume', runId)).code).toBe(2);
    const again = await spine(dir, 'cancel', runId);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`Run "${runId}" of workflow "market.daily_prices" is already cancelled; only a run that has not finished can be cancelled. Nothing was changed.`);
  });

  it('migrates (nothing left to do once the tables exist) and purges finished runs by age', async () => {
    const migrate = await spine(dir, 'migrate');
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toMatch(/^The database is up to date \(16 migrations\)\.$/m);
    const kept = await spine(dir, 'purge', '--older-than', '30d');
    expect(kept.stdout).toBe('Deleted 0 runs older than 30 days.\n');
    const purged = await spine(dir, 'purge', '--older-than', '0m', '--json');
    // five runs (the twelve map items of the backfill go with it, and are not counted as runs)
    expect(JSON.parse(purged.stdout)).toEqual({ deleted: 5 });
    expect((await spine(dir, 'runs')).stdout).toContain('No runs recorded yet.');
    const bad = await spine(dir, 'purge', '--older-than', 'a month');
    expect(bad.code).toBe(2);
  });
});

describe.each(serverDrivers())('the spine command line on a database server (%s, SPINE_DATABASE_URL)', (driver) => {
  const server = driver === 'mariadb' ? process.env.SPINE_TEST_MYSQL_URL! : process.env.SPINE_TEST_POSTGRES_URL!;
  const name = `spine_cli_${randomBytes(5).toString('hex')}`;
  const url = `${server.replace(/\/[^/]*$/, '')}/${name}`;
  let dir: string;
  /** One statement on the server (its own connection). */
  const admin = async (sql: string): Promise<void> => {
    if (driver === 'mariadb') {
      const connection = await createConnection(server);
      await connection.query(sql);
      await connection.end();
      return;
    }
    const client = new Client({ connectionString: server });
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  beforeAll(async () => {
    await admin(driver === 'mariadb' ? `CREATE DATABASE ${name} CHARACTER SET utf8mb4` : `CREATE DATABASE ${name}`);
    dir = project('js');
  });
  afterAll(async () => {
    await admin(driver === 'mariadb' ? `DROP DATABASE IF EXISTS ${name}` : `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('doctor names a database the server does not have with the statement that makes it; --create-database makes it', async () => {
    const missing = `${name}_new`;
    const env = { SPINE_DATABASE_URL: `${server.replace(/\/[^/]*$/, '')}/${missing}` };
    try {
      const doctor = await exec(process.execPath, [cli, 'doctor'], dir, env);
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toContain(`database "${missing}" does not exist`);
      expect(doctor.stdout).toContain(`CREATE DATABASE ${missing} (or run spine doctor --create-database)`);
      const created = await exec(process.execPath, [cli, 'doctor', '--create-database'], dir, env);
      expect(created.stdout).toContain(`Created database "${missing}".`);
      expect(created.stdout).toMatch(/migrations? to run/);
    } finally {
      await admin(driver === 'mariadb' ? `DROP DATABASE IF EXISTS ${missing}` : `DROP DATABASE IF EXISTS ${missing} WITH (FORCE)`);
    }
  });

  it('migrates, runs, resumes and lists against the server, and the process exits when done', async () => {
    const env = { SPINE_DATABASE_URL: url };
    const migrate = await exec(process.execPath, [cli, 'migrate'], dir, env);
    expect(migrate.stdout).toContain('applied InitialSchema1767225600000');
    expect(migrate.stdout).toContain('applied FinraOtcSchema1780000000000');
    const failed = await exec(
      process.execPath,
      [cli, 'run', 'finra.backfill', '--param', 'from=2026-08-07', '--param', 'to=2026-09-25', '--param', 'tier=OTC', '--param', 'fail_week=2026-09-04'],
      dir,
      env,
    );
    expect(failed.code).toBe(1);
    const resumed = await exec(process.execPath, [cli, 'resume', runIdOf(failed.stdout), '--param', 'fail_week=', '--json'], dir, env);
    expect(resumed.code).toBe(0);
    expect((JSON.parse(resumed.stdout) as { run: { status: string }; items: unknown[] }).items).toHaveLength(8);
    const runs = JSON.parse((await exec(process.execPath, [cli, 'runs', '--json'], dir, env)).stdout) as { status: string }[];
    expect(runs.map((r) => r.status)).toEqual(['completed']);
    const doctor = await exec(process.execPath, [cli, 'doctor'], dir, env);
    console.log(`spine doctor on ${driver}:\n${doctor.stdout}`);
    expect(doctor.stdout).not.toContain('spine:spine@');
  }, 60_000);
});
