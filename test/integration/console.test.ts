import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import 'reflect-metadata';
import express from 'express';
import { Test } from '@nestjs/testing';
import { SpineModule, SpineService } from 'spine-orchestration/nest';
import { Spine, Step, StepResult, Workflow } from 'spine-orchestration';
import { ConsoleSecurity, createConsoleHandler, startConsole, type ConsoleServer } from 'spine-orchestration/console';
import { testDrivers, useTestDatabase } from '../support/databases';
import { call, csrfOf } from '../support/http-call';
import { newRun } from '../fixtures/records';
import { sleep, until } from '../support/polling';

jest.setTimeout(30_000);

const TOKEN = 'console-test-token-0123456789';

/** A week of the map: fails when it is the run's `fail_week`. */
const week = Workflow.define({
  name: 'console.week',
  steps: [
    Step.lambda('refresh', (ctx) => {
      if (ctx.getParam<string>('item') === ctx.getParam<string>('fail_week')) return StepResult.fail(`week ${ctx.getParam<string>('item')} <script>alert(1)</script> failed`);
      return { refreshed: ctx.getParam<string>('item') };
    }),
  ],
});

const backfill = Workflow.define({
  name: 'console.backfill',
  defaults: { fail_week: '' },
  steps: [
    Step.lambda('plan', () => ({ weeks: ['2026-10-02', '2026-10-09', '2026-10-16'] })),
    Step.map('weeks', { itemsFrom: (ctx) => ctx.getOutput<{ weeks: string[] }>('plan')!.weeks, iterator: week }),
    Step.lambda('report', () => ({ done: true })),
  ],
});

const ingest = Workflow.define({
  name: 'console.ingest',
  steps: [
    Step.lambda('load', (ctx) => StepResult.ok({ rows: 10 }, { quality: { recordCount: 10, validCount: ctx.getParam<number>('valid') ?? 10 } }), {
      quality: { minValidRate: 0.9 },
      qualityMode: 'warn',
    }),
  ],
});

/** Enqueued on 'console-q': fetch, then a check that fails while the run's `fail` param is set. */
const queued = Workflow.define({
  name: 'console.queued',
  queue: 'console-q',
  defaults: { fail: false },
  steps: [Step.lambda('fetch', () => ({ rows: 3 })), Step.lambda('check', (ctx) => (ctx.getParam<boolean>('fail') ? StepResult.fail('the check failed') : { ok: true }))],
});

describe.each(testDrivers())('the console over HTTP (%s)', (driver) => {
  const database = useTestDatabase(driver);
  let spine: Spine;
  let open: ConsoleServer;
  let api: string;
  let failedBackfill: string;

  beforeAll(async () => {
    spine = await Spine.create({
      database: database().dataSource,
      workflows: [backfill, week, ingest, queued],
      recoverOnStart: false,
      logger: { warn: () => undefined, error: () => undefined },
    });
    // nine ingest runs in two tiers, three from the CLI, two below the quality gate
    for (let i = 0; i < 9; i++) {
      await spine.run('console.ingest', {
        partition: { tier: i % 2 === 0 ? 'OTC' : 'ATS' },
        params: { valid: i === 3 || i === 6 ? 5 : 10 },
        ...(i < 3 && { triggerSource: 'cli' as const }),
      });
    }
    const failed = await spine.run('console.backfill', { params: { fail_week: '2026-10-09' } });
    expect(failed.status).toBe('failed');
    failedBackfill = failed.runId;
    open = await startConsole(spine, { port: 0, token: null });
    api = `${open.url}/api`;
  });
  afterAll(async () => {
    await open?.close();
    await spine?.close();
  });

  it("counts the stranded runs on the runs page and says on a stranded run's page why and how to move it on", async () => {
    const eager = await Spine.create({ database: database().dataSource, workflows: [backfill, week, ingest, queued], recoverOnStart: false, strandedAfterMs: 0 });
    const server = await startConsole(eager, { port: 0, token: null });
    try {
      const runId = `console-stranded-${driver}-${Date.now()}`;
      const now = new Date();
      const enqueue = { queue: 'console-stranded', priority: 0, concurrencyKey: null, notBefore: now };
      await eager.store.queue!.enqueueRuns([newRun({ runId, workflowName: 'console.queued', workflowVersion: 9, workflowHash: 'f'.repeat(64), appVersion: 'build-9', startedAt: now, enqueue })], null);
      const runs = await call(`${server.url}/api/runs?limit=1`);
      expect(runs.json.stranded).toEqual({ count: 1, versions: [{ workflow: 'console.queued', version: 9, count: 1 }] });
      const page = await call(`${server.url}/api/runs/${runId}`);
      expect(page.json.run).toMatchObject({ version: 9, hash: 'ffffffffffff', appVersion: 'build-9' });
      expect(page.json.stranded).toMatchObject({
        reason: expect.stringMatching(/no live process holds version 9 \(definition ffffffffffff\) of "console.queued" \(build build-9\)/),
        fix: ['spine migrate-runs console.queued --from 9 --dry-run', 'spine runs --stranded'],
      });
      await eager.cancel(runId);
      expect(await eager.strandedRuns()).toEqual([]);
    } finally {
      await server.close();
      await eager.close();
    }
  });

  it('lists runs newest first, in pages by keyset with no run twice, and filters by workflow, status, trigger, partition and date', async () => {
    const seen: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const page = await call(`${api}/runs?workflow=console.ingest&limit=4${next === null ? '' : `&before=${next}`}`);
      expect(page.status).toBe(200);
      seen.push(...(page.json.runs as { runId: string }[]).map((r) => r.runId));
      next = page.json.next as string | null;
      pages++;
    } while (next !== null && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(9);
    const all = (await call(`${api}/runs?workflow=console.ingest&limit=500`)).json.runs as { runId: string; startedAt: string }[];
    expect(all.map((r) => r.runId)).toEqual(seen);
    expect([...all].sort((a, b) => b.startedAt.localeCompare(a.startedAt)).map((r) => r.startedAt)).toEqual(all.map((r) => r.startedAt));

    const ids = async (query: string): Promise<string[]> => ((await call(`${api}/runs?${query}`)).json.runs as { runId: string }[]).map((r) => r.runId);
    expect(await ids('trigger=cli')).toHaveLength(3);
    expect(await ids('workflow=console.ingest&partition=tier%3DATS')).toHaveLength(4);
    expect(await ids('status=failed')).toEqual([failedBackfill]);
    expect(await ids('status=failed,completed&workflow=console.backfill')).toEqual([failedBackfill]);
    expect(await ids('since=2000-01-01&until=2000-01-02')).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await ids(`workflow=console.ingest&since=${today}&until=${today}`)).length).toBe(9);

    const listed = (await call(`${api}/runs?workflow=console.backfill`)).json.runs as Record<string, unknown>[];
    expect(listed[0]).toMatchObject({ runId: failedBackfill, status: 'failed', errorStep: 'weeks', paramsText: 'fail_week=2026-10-09' });
  });

  it('answers a bad query with 400 and a message naming the parameter', async () => {
    for (const [query, named] of [
      ['status=exploded', 'status must be one of'],
      ['limit=0', 'limit must be a whole number'],
      ['limit=501', 'limit must be a whole number'],
      ['trigger=telepathy', 'trigger must be one of'],
      ['since=last-tuesday', 'since must be a date'],
      ['before=no-such-run', 'before: run "no-such-run" is not in the store'],
    ]) {
      const reply = await call(`${api}/runs?${query}`);
      expect(reply.status).toBe(400);
      expect(String(reply.json.error)).toContain(named);
    }
    expect((await call(`${api}/runs/no-such-run`)).status).toBe(404);
    expect((await call(`${api}/nothing-here`)).json.error).toContain('No API route GET /api/nothing-here');
    expect((await call(`${api}/workflows/not.registered`)).status).toBe(404);
  });

  it("shows a run: its steps, the graph with each step's status, the map's items with the failed week, children and events", async () => {
    const reply = await call(`${api}/runs/${failedBackfill}`);
    expect(reply.status).toBe(200);
    const detail = reply.json as {
      run: Record<string, unknown>;
      steps: { stepName: string; status: string }[];
      mapItems: { status: string; index: number; error: string | null }[];
      children: { runId: string; status: string }[];
      events: { type: string }[];
      graph: { nodes: { id: string; step: string | null }[]; edges: unknown[] };
      stepNames: string[];
      actions: { resume: boolean; cancel: boolean };
    };
    expect(detail.run).toMatchObject({ status: 'failed', params: { fail_week: '2026-10-09' }, errorStep: 'weeks' });
    expect(detail.steps.map((s) => [s.stepName, s.status])).toEqual([
      ['plan', 'completed'],
      ['weeks', 'failed'],
    ]);
    expect(detail.stepNames).toEqual(['plan', 'weeks', 'report']);
    expect(detail.graph.nodes.map((n) => n.step).filter((s) => s !== null)).toEqual(expect.arrayContaining(['plan', 'weeks', 'report']));
    expect(detail.graph.edges.length).toBeGreaterThanOrEqual(2);
    const failedItems = detail.mapItems.filter((i) => i.status === 'failed');
    expect(failedItems).toHaveLength(1);
    expect(failedItems[0]).toMatchObject({ index: 1, error: expect.stringContaining('week 2026-10-09') });
    // a one-step iterator keeps its items as rows of the run, not as child runs
    expect(detail.children).toEqual([]);
    expect(detail.events.map((e) => e.type)).toEqual(['run_started', 'run_failed']);
    expect(detail.actions).toEqual({ resume: true, resumeVia: ['here'], cancel: false, resuming: false, decide: false, signal: false });
    // the error is stored as written; the page shows it as text (the browser test checks that)
    expect(String(detail.run.error)).toContain('<script>');
  });

  it('resumes a failed run from the page only with the CSRF token, with a params override, and the run completes', async () => {
    const resumeUrl = `${api}/runs/${failedBackfill}/resume`;
    const body = JSON.stringify({ params: { fail_week: '' } });
    const missing = await call(resumeUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(missing.status).toBe(403);
    expect(missing.json.error).toContain('x-spine-csrf');

    const page = await call(`${open.url}/runs/${failedBackfill}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const csrf = csrfOf(page.text);
    const host = new URL(open.url).host;
    const crossSite = await call(resumeUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-spine-csrf': csrf, origin: 'https://evil.example' }, body });
    expect(crossSite.status).toBe(403);
    expect(crossSite.json.error).toContain('another site');
    const badParams = await call(resumeUrl, { method: 'POST', headers: { 'x-spine-csrf': csrf }, body: '{"params": [1]}' });
    expect(badParams.status).toBe(400);
    expect(badParams.json.error).toContain('params must be a JSON object');
    expect((await call(resumeUrl, { method: 'POST', headers: { 'x-spine-csrf': csrf }, body: '{not json' })).status).toBe(400);

    const accepted = await call(resumeUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-spine-csrf': csrf, origin: `http://${host}` }, body });
    expect(accepted.status).toBe(202);
    expect(accepted.json.runId).toBe(failedBackfill);
    type Detail = { run: { status: string; params: Record<string, unknown> }; mapItems: { status: string }[]; actions: { resume: boolean } };
    const done = await until(
      async () => {
        const detail = (await call(`${api}/runs/${failedBackfill}`)).json as Detail;
        return detail.run.status === 'completed' && detail;
      },
      10_000,
      25,
    );
    expect(done.run.params.fail_week).toBe('');
    expect(done.mapItems.map((i) => i.status)).toEqual(['completed', 'completed', 'completed']);
    expect(done.actions.resume).toBe(false);
    const again = await call(resumeUrl, { method: 'POST', headers: { 'x-spine-csrf': csrf }, body: '{}' });
    expect(again.status).toBe(409);
    expect(again.json.error).toContain('is completed; only a failed, stopped or interrupted run can be resumed');
  });

  it('puts a failed run of a queue back on its queue, where a worker resumes it; says when no worker serves the queue; or resumes it here when asked', async () => {
    const worker = () => Spine.create({ database: database().dataSource, workflows: [queued], recoverOnStart: false, worker: { queues: ['console-q'], pollIntervalMs: 10 } });
    const failedOnQueue = async (): Promise<string> => {
      const { runId } = await spine.enqueue('console.queued', { params: { fail: true } });
      const w = await worker();
      expect((await spine.waitForResult(runId, { timeoutMs: 10_000 })).status).toBe('failed');
      await w.close();
      return runId;
    };
    const runId = await failedOnQueue();
    type Detail = { run: { status: string; params: Record<string, unknown> }; queue: { name: string; workers: number } | null; actions: { resume: boolean; resumeVia: string[] } };
    const detail = async (id: string) => (await call(`${api}/runs/${id}`)).json as Detail;
    expect(await detail(runId)).toMatchObject({ run: { status: 'failed' }, queue: { name: 'console-q', workers: 0 }, actions: { resume: true, resumeVia: ['queue', 'here'] } });
    const csrf = csrfOf((await call(`${open.url}/runs/${runId}`)).text);
    const post = (id: string, body: unknown) => call(`${api}/runs/${id}/resume`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-spine-csrf': csrf }, body: JSON.stringify(body) });

    const sideways = await post(runId, { via: 'sideways' });
    expect([sideways.status, sideways.json.error]).toEqual([400, 'via must be "queue" (a worker resumes the run) or "here" (this console\'s process does).']);
    const fromStep = await post(runId, { via: 'queue', startFrom: 'fetch' });
    expect(fromStep.status).toBe(400);
    expect(fromStep.json.error).toContain('startFrom cannot go through the queue');
    expect((await spine.getRun(runId))!.status).toBe('failed');

    // by default the run goes back on its queue; this console runs none of it
    const accepted = await post(runId, { params: { fail: false } });
    expect([accepted.status, accepted.json]).toEqual([202, { runId, resumed: 'queued', queue: 'console-q', workers: 0 }]);
    await sleep(100);
    expect(await detail(runId)).toMatchObject({ run: { status: 'queued', params: { fail: false } }, queue: { workers: 0 }, actions: { resume: false } });
    const w = await worker();
    const done = await until(
      async () => {
        const d = await detail(runId);
        return d.run.status === 'completed' && d;
      },
      10_000,
      25,
    );
    expect(done.queue).toEqual({ name: 'console-q', workers: 1 });
    await w.close();
    // only the failed step ran again; the events tell the story
    expect((await spine.getRunSteps(runId)).map((s) => `${s.stepName}:${s.status}`)).toEqual(['fetch:completed', 'check:failed', 'check:completed']);
    const events = (await call(`${api}/runs/${runId}`)).json.events as { type: string; payload: Record<string, unknown> }[];
    expect(events.map((e) => e.type)).toEqual(['run_started', 'run_failed', 'params_overridden', 'run_requeued', 'run_resumed', 'run_completed']);
    // the override is recorded: by the console, through the queue, which field and its new value
    expect(events[2]!.payload).toMatchObject({ by: 'console', via: 'requeue', fields: ['fail'], values: { fail: false } });
    expect(events[3]!.payload).toEqual({ queue: 'console-q', reason: 'params overridden: fail' });

    // "here": this console's process resumes it, no worker needed
    const other = await failedOnQueue();
    const here = await post(other, { via: 'here', params: { fail: false } });
    expect(here.status).toBe(202);
    expect((await spine.waitForResult(other, { timeoutMs: 10_000 })).status).toBe('completed');
    // a start step, without `via`, asks for a resume here too
    const third = await failedOnQueue();
    const fromFetch = await post(third, { startFrom: 'fetch', params: { fail: false } });
    expect(fromFetch.status).toBe(202);
    expect(fromFetch.json.resumed).not.toBe('queued');
    expect((await spine.waitForResult(third, { timeoutMs: 10_000 })).status).toBe('completed');
    expect((await spine.getRunSteps(third)).map((s) => `${s.stepName}:${s.status}`)).toEqual(['fetch:completed', 'check:failed', 'fetch:completed', 'check:completed']);
  });

  it('cancels a queued run with a POST, and a second cancel is refused', async () => {
    const { runId } = await spine.enqueue('console.ingest', { queue: 'console-test' });
    const page = await call(`${open.url}/runs`);
    const csrf = csrfOf(page.text);
    expect(((await call(`${api}/runs/${runId}`)).json.actions as { cancel: boolean }).cancel).toBe(true);
    const cancelled = await call(`${api}/runs/${runId}/cancel`, { method: 'POST', headers: { 'x-spine-csrf': csrf } });
    expect(cancelled.status).toBe(200);
    expect((cancelled.json.run as { status: string }).status).toBe('cancelled');
    expect((await spine.getRun(runId))!.status).toBe('cancelled');
    const twice = await call(`${api}/runs/${runId}/cancel`, { method: 'POST', headers: { 'x-spine-csrf': csrf } });
    expect(twice.status).toBe(409);
  });

  it('reports workflows with their success rate and graph, quality trends with breaches, and queues', async () => {
    const workflows = (await call(`${api}/workflows`)).json.workflows as { name: string; runs: number; successRate: number | null }[];
    expect(workflows.find((w) => w.name === 'console.ingest')).toMatchObject({ runs: 10, successRate: 1 });
    const one = (await call(`${api}/workflows/console.backfill`)).json as { steps: { name: string; type: string }[]; graph: { nodes: unknown[] }; recentRuns: unknown[] };
    expect(one.steps.map((s) => s.type)).toEqual(['lambda', 'map', 'lambda']);
    expect(one.graph.nodes.length).toBeGreaterThanOrEqual(3);
    expect(one.recentRuns).toHaveLength(1);

    const quality = (await call(`${api}/quality?days=7`)).json.steps as {
      workflow: string;
      step: string;
      executions: number;
      failed: number;
      thresholds: unknown;
      points: { validRate: number | null }[];
    }[];
    const load = quality.find((s) => s.workflow === 'console.ingest' && s.step === 'load')!;
    expect(load).toMatchObject({ executions: 9, failed: 2, thresholds: { minValidRate: 0.9 } });
    expect(load.points).toHaveLength(9);
    expect(load.points.filter((p) => p.validRate === 0.5)).toHaveLength(2);
    expect((await call(`${api}/quality?days=0`)).status).toBe(400);

    const queues = (await call(`${api}/queues`)).json;
    expect(queues).toEqual(expect.objectContaining({ queues: expect.any(Array), workers: expect.any(Array), schedules: expect.any(Array) }));
  });

  it('serves the pages and their assets from the package, with security headers, and 404s the rest', async () => {
    expect((await call(`${open.url}/`)).headers.location).toBe('/runs');
    for (const page of ['runs', 'workflows', 'workflows/console.ingest', 'quality', 'queues']) {
      const reply = await call(`${open.url}/${page}`);
      expect(reply.status).toBe(200);
      expect(reply.text).toContain('<script defer src="assets/app.js"></script>');
      expect(reply.headers['x-frame-options']).toBe('DENY');
    }
    for (const [asset, type] of [
      ['app.js', 'javascript'],
      ['app.css', 'text/css'],
      ['uplot.js', 'javascript'],
      ['uplot.css', 'text/css'],
      ['dagre.js', 'javascript'],
    ]) {
      const reply = await call(`${open.url}/assets/${asset}`);
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toContain(type);
      expect(reply.text.length).toBeGreaterThan(1000);
    }
    expect((await call(`${open.url}/assets/../package.json`)).status).toBe(404);
    expect((await call(`${open.url}/elsewhere`)).status).toBe(404);
  });

  describe('read-only', () => {
    let server: ConsoleServer;
    beforeAll(async () => {
      server = await startConsole(spine, { port: 0, token: null, readOnly: true });
    });
    afterAll(async () => server?.close());

    it('refuses resume and cancel with 403 and offers no actions', async () => {
      const page = await call(`${server.url}/runs`);
      expect(page.text).toContain('<meta name="spine-read-only" content="1">');
      const run = (await spine.listRuns({ workflow: 'console.ingest', limit: 1 }))[0]!;
      expect(((await call(`${server.url}/api/runs/${run.runId}`)).json.actions as Record<string, boolean>).resume).toBe(false);
      const refused = await call(`${server.url}/api/runs/${run.runId}/cancel`, { method: 'POST', headers: { 'x-spine-csrf': csrfOf(page.text) } });
      expect(refused.status).toBe(403);
      expect(refused.json.error).toContain('read-only');
    });
  });

  describe('with a token', () => {
    let server: ConsoleServer;
    let base: string;
    beforeAll(async () => {
      server = await startConsole(spine, { port: 0, token: TOKEN });
      base = server.url;
    });
    afterAll(async () => server?.close());

    it('answers scripts with the bearer token only, and needs no CSRF token from them', async () => {
      const anonymous = await call(`${base}/api/runs`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.json.error).toContain('Authorization: Bearer');
      expect((await call(`${base}/api/runs`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
      expect((await call(`${base}/api/runs`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      const { runId } = await spine.enqueue('console.ingest', { queue: 'console-token' });
      const cancelled = await call(`${base}/api/runs/${runId}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(cancelled.status).toBe(200);
    });

    it('sends a browser to the login page, and its cookie (not the token) lets it in; actions still need the CSRF token', async () => {
      const first = await call(`${base}/runs`);
      expect(first.status).toBe(303);
      expect(first.headers.location).toBe('/login');
      expect((await call(`${base}/login`)).text).toContain('name="token"');
      const wrong = await call(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=not-the-token-at-all' });
      expect(wrong.status).toBe(401);
      expect(wrong.headers['set-cookie']).toBeUndefined();
      const login = await call(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}` });
      expect(login.status).toBe(303);
      const cookie = login.headers['set-cookie']![0]!.split(';')[0]!;
      expect(cookie).toMatch(/^spine_console=/);
      expect(cookie).not.toContain(TOKEN);
      expect(login.headers['set-cookie']![0]).toContain('HttpOnly');

      const page = await call(`${base}/runs`, { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(page.text).toContain('Log out');
      const { runId } = await spine.enqueue('console.ingest', { queue: 'console-token' });
      const noCsrf = await call(`${base}/api/runs/${runId}/cancel`, { method: 'POST', headers: { cookie } });
      expect(noCsrf.status).toBe(403);
      const withCsrf = await call(`${base}/api/runs/${runId}/cancel`, { method: 'POST', headers: { cookie, 'x-spine-csrf': csrfOf(page.text) } });
      expect(withCsrf.status).toBe(200);
      const logout = await call(`${base}/logout`, { method: 'POST', headers: { cookie, 'x-spine-csrf': csrfOf(page.text) } });
      expect(logout.headers['set-cookie']![0]).toContain('Max-Age=0');
    });
  });

  it('serves under a base path on a plain node:http server (as Fastify hands it the raw request), and 404s outside it', async () => {
    const handler = createConsoleHandler(spine, { token: null, basePath: '/ops/spine/' });
    const server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const page = await call(`${base}/ops/spine/quality`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('<base href="/ops/spine/">');
      expect((await call(`${base}/ops/spine/api/runs/${failedBackfill}`)).status).toBe(200);
      expect((await call(`${base}/elsewhere/api/runs`)).status).toBe(404);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('mounts in Express under a path, and hands other paths on to the next handler', async () => {
    const app = express();
    app.use(express.json());
    app.use('/spine', createConsoleHandler(spine, { token: null }));
    app.get('/health', (_req, res) => {
      res.json({ ok: true });
    });
    const server = await new Promise<import('node:http').Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const page = await call(`${base}/spine/runs`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('<base href="/spine/">');
      expect((await call(`${base}/spine`)).headers.location).toBe('/spine/runs');
      expect(((await call(`${base}/spine/api/runs?limit=2`)).json.runs as unknown[]).length).toBe(2);
      expect((await call(`${base}/health`)).json).toEqual({ ok: true });
      // express.json() has read the body already: the handler takes the parsed one
      const { runId } = await spine.enqueue('console.ingest', { queue: 'console-express' });
      const cancelled = await call(`${base}/spine/api/runs/${runId}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-spine-csrf': csrfOf(page.text) }, body: '{}' });
      expect(cancelled.status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('the console in a Nest application', () => {
  it('is mounted at the path SpineModule.forRoot is given, beside the application, against its Spine', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SpineModule.forRoot({ workflows: [ingest], recoverOnStart: false, console: { path: '/ops/spine', token: null } })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const { runId } = await app.get(SpineService).run('console.ingest');
      const page = await call(`${base}/ops/spine/runs/${runId}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('<base href="/ops/spine/">');
      const detail = await call(`${base}/ops/spine/api/runs/${runId}`);
      expect((detail.json.run as { status: string }).status).toBe('completed');
      expect((await call(`${base}/ops/spine/assets/app.js`)).status).toBe(200);
      // Nest answers what the console does not serve
      expect((await call(`${base}/elsewhere`)).status).toBe(404);
    } finally {
      await app.close();
    }
  });
});

describe('the console guard', () => {
  const requestFrom = (remoteAddress: string, headers: Record<string, string> = {}): IncomingMessage => ({ socket: { remoteAddress } as Socket, headers }) as unknown as IncomingMessage;

  it('without a token answers loopback clients only', () => {
    const guard = new ConsoleSecurity(null);
    expect(guard.identify(requestFrom('127.0.0.1'))).toBe('open');
    expect(guard.identify(requestFrom('::1'))).toBe('open');
    expect(guard.identify(requestFrom('::ffff:127.0.0.1'))).toBe('open');
    expect(guard.identify(requestFrom('10.1.2.3'))).toBeNull();
    expect(guard.identify(requestFrom('::ffff:192.168.1.9'))).toBeNull();
  });

  it('with a token asks it of loopback clients too', () => {
    const guard = new ConsoleSecurity(TOKEN);
    expect(guard.identify(requestFrom('127.0.0.1'))).toBeNull();
    expect(guard.identify(requestFrom('10.1.2.3', { authorization: `Bearer ${TOKEN}` }))).toBe('bearer');
    const session = guard.startSession();
    expect(guard.identify(requestFrom('10.1.2.3', { cookie: `other=%E0%A4%A; spine_console=${session}` }))).toBe('session');
    expect(guard.identify(requestFrom('10.1.2.3', { cookie: `spine_console=${new ConsoleSecurity(TOKEN).startSession()}` }))).toBeNull();
  });

  it('takes a request that a proxy forwarded for a loopback client only with a token', () => {
    const guard = new ConsoleSecurity(null);
    expect(guard.identify(requestFrom('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }))).toBeNull();
    expect(guard.identify(requestFrom('127.0.0.1', { forwarded: 'for=203.0.113.9' }))).toBeNull();
    expect(guard.identify(requestFrom('127.0.0.1', { via: '1.1 proxy' }))).toBeNull();
    expect(() => new ConsoleSecurity(null, { trustProxy: true })).toThrow('trustProxy needs a token');
  });

  it('refuses a short token, naming how to make one', () => {
    expect(() => new ConsoleSecurity('short')).toThrow('at least 16 characters (SPINE_CONSOLE_TOKEN); make one with: openssl rand -hex 24');
  });

  it('refuses to listen on a non-loopback address without a token, and names the port in use', async () => {
    const spine = await Spine.create({ workflows: [ingest], recoverOnStart: false });
    const saved = process.env.SPINE_CONSOLE_TOKEN;
    delete process.env.SPINE_CONSOLE_TOKEN;
    try {
      await expect(startConsole(spine, { host: '0.0.0.0', port: 0 })).rejects.toThrow(/Refusing to serve the console on 0\.0\.0\.0 without a token.*SPINE_CONSOLE_TOKEN/);
      const first = await startConsole(spine, { port: 0 });
      const port = Number(new URL(first.url).port);
      await expect(startConsole(spine, { port })).rejects.toThrow(`Port ${port} on 127.0.0.1 is in use; pick another with --port.`);
      await first.close();
    } finally {
      if (saved !== undefined) process.env.SPINE_CONSOLE_TOKEN = saved;
      await spine.close();
    }
  });
});
