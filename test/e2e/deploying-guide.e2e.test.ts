/**
 * docs/DEPLOYING.md as written: its files written from the guide into a fresh project on the built
 * package, compiled with the project's own `tsc`, and its program run (three deploys on one SQLite
 * file); then the guide's commands against the database that program left: `spine runs --stranded`
 * and `spine migrate-runs … --dry-run` of a build that lacks version 1.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exec as run } from '../support/exec';

jest.setTimeout(90_000);

const root = join(__dirname, '..', '..');
const guide = readFileSync(join(root, 'docs', 'DEPLOYING.md'), 'utf8');

describe('docs/DEPLOYING.md', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'spine-deploying-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'deploying-guide', version: '2.0.0', private: true }));
    for (const name of ['reflect-metadata', '@types/node', 'typescript']) {
      mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
      symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
    }
    symlinkSync(root, join(dir, 'node_modules', 'spine-orchestration'), 'dir');
    for (const match of guide.matchAll(/```\w+ file=(\S+)\n([\s\S]*?)```/g)) {
      mkdirSync(dirname(join(dir, match[1]!)), { recursive: true });
      writeFileSync(join(dir, match[1]!), match[2]!);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles, and its program plays the three deploys as the guide says', async () => {
    const tsc = await run(join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), [], dir);
    expect(tsc.stdout + tsc.stderr).toBe('');
    const program = await run(process.execPath, [join('dist', 'deploy.check.js')], dir);
    expect(program.code).toBe(0);
    // builds 2 warn once per run they find stranded, naming the fix; nothing else goes wrong
    const warnings = program.stderr.split('\n').filter((line) => line !== '');
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    for (const line of warnings)
      expect(line).toMatch(/^spine-orchestration: run \S+ of finra\.weekly_refresh is stranded \(waiting, since .*Fix: .*spine migrate-runs finra\.weekly_refresh --from 1 --dry-run/);
    expect(program.stdout).toMatch(/^stranded: no live process holds version 1 \(definition [0-9a-f]{12}\) of "finra.weekly_refresh" \(build 1\.0\.0\); /m);
    expect(program.stdout).toMatch(/^drained on version 1: version 1; moved to version 2: version 2$/m);

    // a version-1 run left behind, seen by the CLI of a build without version 1
    writeFileSync(
      join(dir, 'v1.config.js'),
      "require('reflect-metadata');\nconst { WeeklyRefreshV1 } = require('./dist/weekly-refresh-v1.workflow');\nmodule.exports = { database: 'sqlite:.spine/deploys.db', workflows: [WeeklyRefreshV1] };\n",
    );
    writeFileSync(
      join(dir, 'v2.config.js'),
      "require('reflect-metadata');\nconst { WeeklyRefresh } = require('./dist/weekly-refresh.workflow');\nmodule.exports = { database: 'sqlite:.spine/deploys.db', workflows: [WeeklyRefresh], strandedAfterMs: 0 };\n",
    );
    const spine = join(root, 'dist', 'cli', 'main.js');
    const enqueued = await run(process.execPath, [spine, '-c', 'v1.config.js', 'run', 'finra.weekly_refresh', '--enqueue', '--json'], dir);
    expect(enqueued.code).toBe(0);
    const runId = (JSON.parse(enqueued.stdout) as { runId: string }).runId;
    const stranded = await run(process.execPath, [spine, '-c', 'v2.config.js', 'runs', '--stranded'], dir);
    expect(stranded.code).toBe(0);
    expect(stranded.stdout).toContain(runId);
    expect(stranded.stdout).toMatch(/finra\.weekly_refresh v1: start a worker of the build that has it, or {2}spine migrate-runs finra\.weekly_refresh --from 1 --dry-run/);
    const plan = await run(process.execPath, [spine, '-c', 'v2.config.js', 'migrate-runs', 'finra.weekly_refresh', '--from', '1', '--dry-run'], dir);
    expect(plan.stdout).toContain(`${runId}  queued   would move  — then runs download, approve, load, publish`);
    expect(plan.stdout).toMatch(/1 run of version 1: 1 would move to version 2 \(definition [0-9a-f]{12}\), 0 left\./);
    const bad = await run(process.execPath, [spine, '-c', 'v2.config.js', 'migrate-runs', 'finra.weekly_refresh', '--from', '1', '--map', 'load=nope'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"load" maps to "nope", which is not a step of version 2 (steps: download, approve, load, publish)');
    expect((await run(process.execPath, [spine, '-c', 'v2.config.js', 'migrate-runs', 'finra.weekly_refresh'], dir)).stderr).toMatch(/required option '--from <version>' not specified/);
  });

  it('the probe: a process of version 1 killed inside b; a process of version 2 (one more step) recovers nothing and the run is listed stranded with its reason', async () => {
    const probe = join(dir, 'probe');
    mkdirSync(probe, { recursive: true });
    const app = (version: number, extra: string) =>
      "const { Spine, Step, Workflow } = require('spine-orchestration');\n" +
      `const steps = ['a', 'b', 'c'${version === 2 ? ", 'd'" : ''}].map((name) => Step.lambda(name, async () => {\n` +
      "  if (name === 'b' && process.env.HANG === '1') { console.log('inside b'); await new Promise(() => undefined); }\n" +
      '  return { [name]: true };\n}));\n' +
      `const wf = Workflow.define({ name: 'deploy.wf', version: ${version}, steps });\n` +
      `module.exports = { database: 'sqlite:probe.db', workflows: [wf], appVersion: 'build-${version}', ${extra} };\n`;
    writeFileSync(join(probe, 'v1.config.js'), app(1, 'lease: { durationMs: 500, heartbeatMs: 100 }'));
    writeFileSync(join(probe, 'v2.config.js'), app(2, 'strandedAfterMs: 0'));
    writeFileSync(
      join(probe, 'b.js'),
      "const { Spine } = require('spine-orchestration');\n" +
        '(async () => {\n' +
        "  const spine = await Spine.create({ ...require('./v2.config.js'), recoverOnStart: true, logger: { info() {}, warn: (_f, m) => console.error(m), error: (_f, m) => console.error(m) } });\n" +
        '  console.log(`recovered ${(await spine.recover()).length}`);\n' +
        '  await spine.close();\n' +
        '})();\n',
    );
    const spine = join(root, 'dist', 'cli', 'main.js');
    const { spawn } = await import('node:child_process');
    const a = spawn(process.execPath, [spine, '-c', 'v1.config.js', 'run', 'deploy.wf'], { cwd: probe, env: { ...process.env, HANG: '1', SPINE_DATABASE_URL: '' } });
    await new Promise<void>((resolve, reject) => {
      a.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('inside b') && resolve());
      a.once('exit', (code) => reject(new Error(`process A exited (${code}) before reaching b`)));
    });
    const exited = new Promise((resolve) => a.once('exit', resolve));
    process.kill(a.pid!, 'SIGKILL');
    await exited;
    await new Promise((r) => setTimeout(r, 700)); // past A's lease
    const b = await run(process.execPath, ['b.js'], probe);
    expect(b.stdout.trim()).toBe('recovered 0');
    // not in silence: process B's recovery pass warns, naming the run's version and the fix
    expect(b.stderr).toMatch(
      /run \S+ of deploy\.wf is stranded \(running, since .*no live process holds version 1 \(definition [0-9a-f]{12}\) of "deploy\.wf" \(build build-1\).*spine migrate-runs deploy\.wf --from 1 --dry-run/,
    );
    const listed = await run(process.execPath, [spine, '-c', 'v2.config.js', 'runs', '--stranded', '--json'], probe);
    const stranded = JSON.parse(listed.stdout) as { workflowName: string; version: number; appVersion: string; status: string; reason: string }[];
    expect(stranded).toEqual([
      expect.objectContaining({ workflowName: 'deploy.wf', version: 1, appVersion: 'build-1', status: 'running', reason: expect.stringMatching(/^no live process holds version 1/) }),
    ]);
    // a process of version 1 finishes it
    const v1 = await run(
      process.execPath,
      [
        '-e',
        "require('spine-orchestration').Spine.create({ ...require('./v1.config.js'), recoverOnStart: false }).then(async (s) => { const [r] = await s.recover(); console.log(r.status, r.completedSteps.join(',')); await s.close(); })",
      ],
      probe,
    );
    expect(v1.stdout.trim()).toBe('completed a,b,c');
  });
});
