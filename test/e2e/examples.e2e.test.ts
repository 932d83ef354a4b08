import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

// every test here spawns processes: seconds each on a loaded 2-core machine
jest.setTimeout(60_000);

const root = join(__dirname, '..', '..');

/** Runs the package and the examples as built by the test set-up (as `npm run demo` builds them), as a user would. */
describe('the built package', () => {
  it('runs the quick start from dist, resolving spine-orchestration by its package name', () => {
    const out = execFileSync(process.execPath, [join(root, 'build', 'examples', 'quickstart.js')], { cwd: root, encoding: 'utf8' });
    expect(out).toContain('Status: completed');
    expect(out).toContain('Steps completed: 3/3');
    expect(out).toContain('Status: failed at "validate" (DATA_QUALITY)');
    expect(out).toContain('per_tier results: [{"tier":"NMS Tier 1","weeks":6},{"tier":"NMS Tier 2","weeks":6},{"tier":"OTC","weeks":6}]');
  });

  it('exposes the root, /groups, /testing and /cli entry points through package exports', () => {
    const script = [
      "const root = require('spine-orchestration');",
      "const groups = require('spine-orchestration/groups');",
      "const testing = require('spine-orchestration/testing');",
      "const cli = require('spine-orchestration/cli');",
      "console.log([typeof root.Workflow.define, typeof root.WorkflowRunner, typeof groups.PipelineGroup, typeof groups.PipelineStep, typeof testing.FakeClock, typeof cli.runCli, typeof root.defineConfig].join(','));",
    ].join('\n');
    const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
    expect(out.trim()).toBe('function,function,function,function,function,function,function');
  });
});

/** Runs a compiled example in a fresh working directory (its database lands there) and returns what it printed. */
function runExample(script: string): { out: string; cwd: string } {
  const cwd = mkdtempSync(join(tmpdir(), 'spine-example-'));
  const out = execFileSync(process.execPath, [join(root, 'build', 'examples', script)], { cwd, encoding: 'utf8', env: { ...process.env, SPINE_DATABASE_URL: '' } });
  return { out, cwd };
}

describe('the examples as users run them', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('npm run demo: weekly refresh, a backfill failing at one week, its resume, the Friday schedule waiting for approval, and what to try next', () => {
    const { out, cwd } = runExample('finra-otc/demo.js');
    dirs.push(cwd);
    expect(out).toContain('spine-orchestration demo: FINRA OTC transparency on the embedded SQLite store');
    expect(out).toContain('  runs and domain tables: .spine/spine.db');
    expect(out).toMatch(/→ completed in \d+ ms: 741 rows, 3 rejected \{.*"blank issueSymbolIdentifier":1.*\}; valid rate 99\.60% \(gate: ≥ 99%\)/);
    expect(out).toContain('rolling metrics: 1 of 6 weeks of history');
    expect(out).toMatch(/→ failed at step "refresh" after/);
    // the failed week fails the map: the weeks not finished then are cancelled; the resume runs exactly those
    const summary = /of 12 weeks \(each a run of its own on the "finra" queue, any worker may take one\): (\d+) completed, 1 failed(?:, (\d+) cancelled when the map failed)?\n/.exec(out);
    expect(summary).not.toBeNull();
    const completed = Number(summary![1]);
    expect(completed + 1 + Number(summary![2] ?? 0)).toBe(12);
    expect(out).toContain(`→ completed in`);
    expect(out).toMatch(new RegExp(`: ${12 - completed} week\\(s\\) ran again, the other ${completed} were already done`));
    expect(out).toMatch(/12 weeks loaded, \d+ symbol-weeks, rolling metrics for 7 weeks \(\d+ rows\)/);
    expect(out).toMatch(/^ {3}TSLA .* M shares .* venues .* 6-week trend (up|down|flat)/m);
    // the schedule's fire for Friday 2026-10-30 refreshes the week of 2026-10-16 (99.59 % valid): it waits for approval, then completes
    expect(out).toMatch(/4\) the schedule finra\.weekly_refresh\.nms_tier_1 \(Fridays 18:00 New York\), fired for Friday 2026-10-30/);
    expect(out).toMatch(/→ run \S+ queued on "finra" for week 2026-10-16 \(steward review on\)/);
    expect(out).toMatch(/⏸ stewardReview validRate 0\.9959 is below minValidRate 0\.997: waiting for a person to approve or reject it/);
    expect(out).toMatch(/→ parked: no process holds the run while it waits/);
    expect(out).toMatch(/✉ stewardReview received signal "approval:stewardReview"\n {2}✓ stewardReview/);
    expect(out).toMatch(/npx spine show \S+ +# every step/);
    expect(out).toContain('npx spine runs');
  });

  it('npm run demo twice in the same place: the second run finds the weeks already ingested and still finishes', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'spine-example-'));
    dirs.push(cwd);
    const demo = join(root, 'build', 'examples', 'finra-otc', 'demo.js');
    const env = { ...process.env, SPINE_DATABASE_URL: '' };
    execFileSync(process.execPath, [demo], { cwd, encoding: 'utf8', env });
    const second = execFileSync(process.execPath, [demo], { cwd, encoding: 'utf8', env });
    expect(second).toMatch(/12 weeks loaded, 1320 symbol-weeks, rolling metrics for 7 weeks/);
    // the Friday fire was recorded by the first demo: this one fires a second later, and completes too
    expect(second).toMatch(/4\) the schedule [^\n]*\n[\s\S]*→ approved by the demo[\s\S]*→ completed in \d+ ms\n/);
  });

  it('npm run example:scheduled: the schedule fires each NYSE trading day of Thanksgiving week once, and a breach waits for approval', () => {
    const { out, cwd } = runExample('scheduled/main.js');
    dirs.push(cwd);
    const fires = out.split('is closed):\n')[1]!;
    expect(fires.match(/^ {2}2026-11-\d\d {2}schedule .* completed: close report/gm)).toHaveLength(4);
    expect(fires).not.toContain('2026-11-26');
    expect(out).toMatch(/load: validRate 0\.969 is below minValidRate 0\.99 → waiting for approval \(parked\)/);
    expect(out).toMatch(/2026-11-27 {2}schedule 2026-11-27T23:00:00\.000Z {2}completed: close report 2026-11-27: 969 prices/);
  });

  it('npm run example:market-data: calendars, skipped closed days, the gate, partitions skipped on the second backfill', () => {
    const { out, cwd } = runExample('market-data/main.js');
    dirs.push(cwd);
    expect(out).toContain('XNYS: 31 holidays, 6 early closes');
    expect(out).toContain('XLON: 24 holidays, 6 early closes');
    expect(out).toContain('2026-02-16: completed in');
    expect(out).toContain("skipped: XNYS is closed on 2026-02-16 (holiday: Washington's Birthday)");
    expect(out).toContain('skipped: XNYS is closed on 2026-03-07 (weekend)');
    expect(out).toMatch(/2026-03-13: failed at "gate": moves over 50 % on 2026-03-13: ZENT \d+% \(vendor_b\)/);
    expect(out).toContain('loaded ["2026-03"], skipped ["2026-01","2026-02"]');
  });

  it('npm run example:v1-migration: the v1 group and the same group as a workflow give the same report', () => {
    const { out, cwd } = runExample('v1-migration/main.js');
    dirs.push(cwd);
    expect(out).toMatch(/^v1 GroupRunner: +completed; steps ingest → rank → calendar → report$/m);
    expect(out).toMatch(/^Workflow\.fromGroup: +completed; steps ingest\+calendar → rank → report/m); // its parallel level (two at a time) as one map step
    expect(out).toContain('Same report from both runners.');
  });

  it.each([
    ['finra-otc/data/generate-sample.js', join('examples', 'finra-otc', 'data', 'weekly')],
    ['market-data/data/generate-sample.js', join('examples', 'market-data', 'data', 'prices')],
  ])('%s regenerates the committed sample byte for byte', (script, committed) => {
    const out = mkdtempSync(join(tmpdir(), 'spine-sample-'));
    dirs.push(out);
    execFileSync(process.execPath, [join(root, 'build', 'examples', script), out], { encoding: 'utf8' });
    const files = (dir: string): string[] =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => relative(dir, join(e.parentPath, e.name)))
        .sort();
    expect(files(out)).toEqual(files(join(root, committed)));
    for (const file of files(out)) expect(readFileSync(join(out, file), 'utf8')).toBe(readFileSync(join(root, committed, file), 'utf8'));
  });
});
