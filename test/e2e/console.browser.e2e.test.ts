import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { exec } from '../support/exec';
import { createSpineDataSource, sqliteOptions, TypeOrmRunStore } from '../../src/persistence';
import { newRun } from '../fixtures/records';

/**
 * The console in a real headless Chromium (Debian's `chromium`; `SPINE_CHROMIUM` points
 * elsewhere), on a database the FINRA demo filled: the runs list, the failed backfill with its
 * failed week, a resume from the page watched to completion, the quality chart's points, a stored
 * XSS payload shown as text, and a refused non-loopback bind. Screenshots of every page go to
 * test/artifacts/console/; SPINE_UPDATE_SCREENSHOTS=1 also refreshes README's picture of the run
 * page (docs/images/console-run.png).
 */

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const chromiumPath = process.env.SPINE_CHROMIUM ?? '/usr/bin/chromium';
const artifacts = join(root, 'test', 'artifacts', 'console');
const hasBrowser = existsSync(chromiumPath);
if (!hasBrowser) {
  if (process.env.SPINE_REQUIRE_BROWSER === '1') throw new Error(`SPINE_REQUIRE_BROWSER=1 but there is no Chromium at ${chromiumPath}: apt-get install chromium (or set SPINE_CHROMIUM).`);
  console.warn(`The console's browser tests did not run: no Chromium at ${chromiumPath}. Install Debian's chromium (apt-get install chromium) or set SPINE_CHROMIUM to a Chromium binary.`);
}
const describeInBrowser = hasBrowser ? describe : describe.skip;

jest.setTimeout(60_000);

// the XSS payload a step's error could carry: markup, an inline script, a terminal escape
const PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>\u001b[31mred alert\u001b[0m';

/** Starts `spine console` and reads the URL it prints. */
function startConsoleProcess(env: Record<string, string>, args: readonly string[] = []): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'console', '--port', '0', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`spine console printed no URL in 20 s: ${out}${err}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /spine console on (http:\/\/\S+)\/runs/.exec(out);
      if (found) {
        clearTimeout(timer);
        resolve({ child, url: found[1]! });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`spine console exited (${code}) before serving: ${out}${err}`));
    });
  });
}

/** Starts `spine worker --queue finra`; `stop()` ends it with SIGTERM (its graceful hand-off) and waits for its exit. */
function startWorkerProcess(env: Record<string, string>): { stop(): Promise<void> } {
  const child = spawn(process.execPath, [cli, 'worker', '--queue', 'finra', '--poll-interval', '100'], { cwd: root, env: { ...process.env, ...env }, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
      await exited;
    },
  };
}

describeInBrowser('the console in headless Chromium, on the FINRA demo database', () => {
  let dir: string;
  let env: Record<string, string>;
  let consoleProcess: ChildProcess | undefined;
  let base: string;
  let browser: Browser;
  let page: Page;
  let failedBackfill: string;
  let xssRun: string;
  const strandedRun = `stranded-${Date.now()}`;
  const pageErrors: string[] = [];

  const shot = async (name: string): Promise<string> => {
    const file = join(artifacts, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
  const apiGet = async <T>(path: string): Promise<T> => (await (await fetch(`${base}/api/${path}`)).json()) as T;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'spine-console-e2e-'));
    const database = join(dir, 'spine.db');
    env = { SPINE_DATABASE_URL: `sqlite:${database}`, SPINE_CONSOLE_TOKEN: '' };
    const demo = await exec(process.execPath, [join(root, 'build', 'examples', 'finra-otc', 'demo.js')], root, env);
    expect(demo.code).toBe(0);
    const backfill = await exec(
      process.execPath,
      [cli, 'run', 'finra.backfill', '--param', 'from=2026-08-07', '--param', 'to=2026-10-23', '--param', 'tier=OTC', '--param', 'fail_week=2026-09-04'],
      root,
      env,
    );
    expect(backfill.code).toBe(1);
    failedBackfill = /finra\.backfill · run (\S+)/.exec(backfill.stdout)![1]!;
    // a stored error carrying markup and terminal codes, as a failing step could write it
    const db = new Database(database);
    xssRun = (db.prepare(`SELECT run_id FROM core_workflow_runs WHERE workflow_name = 'finra.backfill' AND status = 'completed'`).get() as { run_id: string }).run_id;
    db.prepare('UPDATE core_workflow_runs SET error = ?, error_step = ? WHERE run_id = ?').run(PAYLOAD, 'refresh', xssRun);
    db.close();
    // a queued run of a version no build here has (a deploy dropped it), queued two days ago
    const dataSource = await createSpineDataSource(sqliteOptions(database)).initialize();
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    const enqueue = { queue: 'finra-v9', priority: 0, concurrencyKey: null, notBefore: twoDaysAgo };
    await new TypeOrmRunStore(dataSource).enqueueRuns(
      [newRun({ runId: strandedRun, workflowName: 'finra.weekly_refresh', workflowVersion: 9, workflowHash: 'f'.repeat(64), appVersion: 'build-9', startedAt: twoDaysAgo, enqueue })],
      null,
    );
    await dataSource.query('UPDATE core_workflow_runs SET created_at = started_at WHERE run_id = ?', [strandedRun]);
    await dataSource.destroy();

    const started = await startConsoleProcess(env);
    consoleProcess = started.child;
    base = started.url;
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (consoleProcess?.pid !== undefined && consoleProcess.exitCode === null) {
      const exited = new Promise((r) => consoleProcess!.once('exit', r));
      process.kill(consoleProcess.pid, 'SIGTERM');
      await exited;
    }
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    // a script error on any page is a failure of that test
    expect(pageErrors).toEqual([]);
  });

  it('lists the runs, newest first, with the failed backfill at the top', async () => {
    await page.goto(`${base}/runs`);
    const rows = page.locator('[data-testid=runs] tbody tr');
    await rows.first().waitFor();
    const api = await apiGet<{ runs: { runId: string; workflow: string; status: string }[] }>('runs');
    expect(await rows.count()).toBe(api.runs.length);
    const first = rows.first();
    expect(await first.textContent()).toContain('finra.backfill');
    expect(await first.locator('[data-status]').first().getAttribute('data-status')).toBe('failed');
    expect(api.runs[0]!.runId).toBe(failedBackfill);
    await shot('runs');

    // the filter form narrows the list through the URL
    await page.locator('[data-testid=run-filters] select[name=status]').selectOption('failed');
    await page.locator('[data-testid=run-filters] button[type=submit]').click();
    await page.waitForURL(/status=failed/);
    await page.locator('[data-testid=runs] tbody tr').first().waitFor();
    const statuses = await page.locator('[data-testid=runs] tbody tr td:first-child [data-status]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(['failed']));
  });

  it('opens the failed backfill: its error, the failed week among its map items, the failed step red in the graph', async () => {
    await page.goto(`${base}/runs`);
    await page.locator(`[data-testid=runs] a[href="runs/${failedBackfill}"]`).first().click();
    await page.locator('[data-testid=run-page]').waitFor();
    expect(await page.locator('[data-testid=run-error]').textContent()).toContain('2026-09-04');
    const items = page.locator('[data-testid=map-items] tbody tr');
    expect(await items.count()).toBe(12);
    const failed = page.locator('[data-testid=map-items] tbody tr[data-status=failed]');
    expect(await failed.count()).toBe(1);
    expect(await failed.textContent()).toContain('2026-09-04');
    await page.locator('[data-testid=graph]').waitFor();
    expect(await page.locator('[data-testid=graph] [data-step=refresh]').getAttribute('data-status')).toBe('failed');
    expect(await page.locator('[data-testid=graph] [data-step=weeks]').getAttribute('data-status')).toBe('completed');
    expect(await page.locator('[data-testid=timeline] .gantt-row').count()).toBeGreaterThanOrEqual(2);
    await shot('run-failed');
  });

  it('resumes the backfill from the page with a params override, after confirming, and shows it complete', async () => {
    await page.goto(`${base}/runs/${failedBackfill}`);
    await page.locator('[data-testid=resume]').click();
    await page.locator('textarea[name=params]').fill('{"fail_week": ""}');
    await page.locator('[data-testid=confirm-resume]').click();
    // the page follows the run live until it settles
    await page.locator('h1 [data-status=completed]').waitFor({ timeout: 45_000 });
    await page.locator('[data-testid=map-items] tbody tr[data-status=completed]').nth(11).waitFor();
    expect(await page.locator('[data-testid=map-items] tbody tr[data-status=failed]').count()).toBe(0);
    expect(await page.locator('[data-testid=graph] [data-step=refresh]').getAttribute('data-status')).toBe('completed');
    expect(await page.locator('[data-testid=resume]').count()).toBe(0);
    const run = await apiGet<{ run: { status: string; params: Record<string, unknown> } }>(`runs/${failedBackfill}`);
    expect(run.run).toMatchObject({ status: 'completed', params: { fail_week: '' } });
    await shot('run');
    // README's picture (the run, its timeline and its graph); docs/images/console-run.png is this file, refreshed with SPINE_UPDATE_SCREENSHOTS=1
    const picture = join(artifacts, 'readme-run.png');
    await page.screenshot({ path: picture, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1760 } });
    if (process.env.SPINE_UPDATE_SCREENSHOTS === '1') copyFileSync(picture, join(root, 'docs', 'images', 'console-run.png'));
  });

  it('puts a failed weekly refresh back on the "finra" queue from the page, says no worker serves it, and a worker started then completes it', async () => {
    const week = '2026-09-04';
    const enqueued = await exec(
      process.execPath,
      [cli, 'run', 'finra.weekly_refresh', '--enqueue', '--json', '--param', `week_ending=${week}`, '--param', 'tier=OTC', '--param', `fail_week=${week}`],
      root,
      env,
    );
    expect(enqueued.code).toBe(0);
    const runId = (JSON.parse(enqueued.stdout) as { runId: string }).runId;
    type Detail = { run: { status: string; params: Record<string, unknown> }; queue: { name: string; workers: number } };
    const status = async () => (await apiGet<Detail>(`runs/${runId}`)).run.status;
    let worker = startWorkerProcess(env);
    try {
      for (const deadline = Date.now() + 30_000; (await status()) !== 'failed';) {
        if (Date.now() > deadline) throw new Error(`the weekly refresh did not fail within 30 s (${await status()})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await worker.stop();
    }

    await page.goto(`${base}/runs/${runId}`);
    await page.locator('[data-testid=resume]').click();
    await page.locator('textarea[name=params]').fill('{"fail_week": ""}');
    // a run of a queue goes back on it by default; a worker resumes it where it stopped, so no other start step
    expect(await page.locator('select[name=via]').inputValue()).toBe('queue');
    expect(await page.locator('select[name=startFrom]').isDisabled()).toBe(true);
    await page.locator('[data-testid=confirm-resume]').click();
    await page.locator('h1 [data-status=queued]').waitFor();
    const notice = page.locator('[data-testid=no-worker]');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('npx spine worker --queue finra');
    await shot('run-queued');
    expect(await apiGet<Detail>(`runs/${runId}`)).toMatchObject({ run: { status: 'queued', params: { fail_week: '' } }, queue: { name: 'finra', workers: 0 } });
    // the queues page says which queued runs no live worker can take
    await page.goto(`${base}/queues`);
    const unserved = page.locator('[data-testid=unserved] [data-unserved="finra/finra.weekly_refresh"]');
    await unserved.waitFor();
    expect(await unserved.textContent()).toMatch(/finra\.weekly_refresh\s*1/);
    await shot('queues-unserved');
    await page.goto(`${base}/runs/${runId}`);
    await notice.waitFor();

    worker = startWorkerProcess(env);
    try {
      // the page follows the queued run until a worker has resumed and finished it
      await page.locator('h1 [data-status=completed]').waitFor({ timeout: 45_000 });
    } finally {
      await worker.stop();
    }
    expect(await notice.count()).toBe(0);
  });

  it('starts a run from the workflow page’s form, and a steward approves its gate on the run page: a worker finishes it', async () => {
    await page.goto(`${base}/workflows/finra.weekly_refresh`);
    await page.locator('input[name=week_ending]').fill('2026-10-16');
    await page.locator('select[name=tier]').selectOption('NMS Tier 1');
    await page.locator('select[name=steward_review]').selectOption('true');
    expect(await page.locator('input[name=queue]').inputValue()).toBe('finra');
    await page.locator('[data-testid=start]').click();
    await page.locator('[data-testid=run-page]').waitFor();
    const runId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const started = await apiGet<{ run: { trigger: string; params: Record<string, unknown> } }>(`runs/${runId}`);
    expect(started.run).toMatchObject({ trigger: 'console', params: { week_ending: '2026-10-16', tier: 'NMS Tier 1', steward_review: true } });
    const worker = startWorkerProcess(env);
    try {
      // the page follows the run: it parks at the steward review and says so, with the buttons that decide it
      await page.locator('[data-testid=waiting]').waitFor({ timeout: 45_000 });
      // followed through its event stream (GET api/runs/:id/events), not by polling
      expect(await page.locator('[data-testid=run-page]').getAttribute('data-live')).toBe('streaming');
      expect(await page.locator('[data-testid=waiting]').textContent()).toContain('approve or reject the quality gate of \u201cstewardReview\u201d');
      await page.locator('[data-testid=approve]').click();
      await page.locator('input[name=note]').fill('known vendor issue');
      await page.locator('[data-testid=confirm-approve]').click();
      await page.locator('h1 [data-status=completed]').waitFor({ timeout: 45_000 });
    } finally {
      await worker.stop();
    }
    await shot('run-approved');
  });

  it('draws the quality trend of each step with the points and breaches of the API', async () => {
    await page.goto(`${base}/quality`);
    const charts = page.locator('[data-testid=quality-chart]');
    await charts.first().waitFor();
    const api = await apiGet<{ steps: { workflow: string; step: string; points: { passed: boolean }[] }[] }>('quality');
    expect(api.steps.length).toBeGreaterThan(0);
    expect(await charts.count()).toBe(api.steps.length);
    const drawn = await charts.evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-points')), Number(e.getAttribute('data-breaches')), e.querySelectorAll('canvas').length]));
    expect(drawn.map(([points, breaches]) => [points, breaches])).toEqual(api.steps.map((s) => [s.points.length, s.points.filter((p) => !p.passed).length]));
    expect(drawn.every(([points, , canvases]) => points === 0 || canvases! > 0)).toBe(true);
    await shot('quality');
  });

  it('shows a stored error with markup and terminal codes as text: nothing of it runs', async () => {
    await page.goto(`${base}/runs/${xssRun}`);
    const box = page.locator('[data-testid=run-error]');
    await box.waitFor();
    const text = (await box.textContent())!;
    expect(text).toContain('<script>window.__xss=2</script>');
    expect(text).toContain('<img src=x onerror=');
    expect(text).toContain('␛[31mred alert␛[0m');
    expect(await box.locator('img, script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    await shot('run-xss');
  });

  it("counts the stranded runs on the runs page and says on a stranded run's page why, and how to move it on", async () => {
    await page.goto(`${base}/runs`);
    const count = page.locator('[data-testid=stranded-count]');
    await count.waitFor();
    expect(await count.textContent()).toMatch(/^1 stranded run: finra\.weekly_refresh v9 \(1\) — no live process holds their version\. List them with npx spine runs --stranded/);
    await page.goto(`${base}/runs/${strandedRun}`);
    const banner = page.locator('[data-testid=stranded]');
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(
      /^Stranded since .*: no live process holds version 9 \(definition ffffffffffff\) of "finra\.weekly_refresh" \(build build-9\).* Fix: .*spine migrate-runs finra\.weekly_refresh --from 9 --dry-run\.$/,
    );
    await shot('run-stranded');
  });

  it('shows the workflows with their graph, and the queues, workers and schedules', async () => {
    await page.goto(`${base}/workflows`);
    await page.locator('[data-testid=workflows]').waitFor();
    expect(await page.locator('[data-testid=workflows]').textContent()).toContain('finra.weekly_refresh');
    await shot('workflows');
    await page.goto(`${base}/workflows/finra.backfill`);
    await page.locator('[data-testid=workflow-page] [data-testid=graph]').waitFor();
    await shot('workflow');
    await page.goto(`${base}/queues`);
    await page.locator('[data-testid=schedules]').waitFor();
    expect(await page.locator('[data-testid=schedules] tbody tr').count()).toBeGreaterThan(0);
    await shot('queues');
  });

  it('gives a DNS-rebinding page nothing: a page of evil.example that resolves to 127.0.0.1 reads no run and cancels none', async () => {
    const port = new URL(base).port;
    const rebound = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--host-resolver-rules=MAP evil.example 127.0.0.1'] });
    try {
      const attacker = await rebound.newPage();
      const landing = await attacker.goto(`http://evil.example:${port}/runs`);
      expect(landing!.status()).toBe(403);
      expect(await attacker.content()).not.toContain('spine-csrf');
      // any run will do: an allowed cancel would answer 200 or 409 (settled), a refused one 403
      const victim = (await apiGet<{ runs: { runId: string }[] }>('runs?limit=1')).runs[0]!;
      // what the attacker's script does once the name points at the console: same-origin requests
      const attempt = await attacker.evaluate(async (runId) => {
        const list = await fetch('/api/runs');
        const cancel = await fetch(`/api/runs/${runId}/cancel`, { method: 'POST', headers: { 'x-spine-csrf': 'guessed' } });
        return { list: list.status, listBody: await list.text(), cancel: cancel.status };
      }, victim.runId);
      expect(attempt.list).toBe(403);
      expect(attempt.listBody).not.toContain('runId');
      expect(attempt.cancel).toBe(403);
      const after = await apiGet<{ run: { cancelRequested: boolean } }>(`runs/${victim.runId}`);
      expect(after.run.cancelRequested).toBe(false);
    } finally {
      await rebound.close();
    }
  });

  it('refuses to listen on a non-loopback address without a token, and says how to give one', async () => {
    const refused = await exec(process.execPath, [cli, 'console', '--host', '0.0.0.0', '--port', '0'], root, env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Refusing to serve the console on 0.0.0.0 without a token');
    expect(refused.stderr).toContain('SPINE_CONSOLE_TOKEN');
    expect(refused.stdout).not.toContain('spine console on');
  });
});
