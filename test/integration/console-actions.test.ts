import { get, type IncomingMessage } from 'node:http';
import { Spine, Step, StepResult, Workflow } from 'spine-orchestration';
import { startConsole, type ConsoleServer } from 'spine-orchestration/console';
import { testDrivers, useTestDatabase } from '../support/databases';
import { call, csrfOf } from '../support/http-call';
import { until } from '../support/polling';

jest.setTimeout(30_000);

/** A load whose quality gate waits for a person's approval when fewer than 90 % of rows are valid. */
const gated = Workflow.define({
  name: 'actions.gated',
  steps: [
    Step.lambda('load', (ctx) => StepResult.ok({ rows: 10 }, { quality: { recordCount: 10, validCount: ctx.getParam<number>('valid') } }), { quality: { minValidRate: 0.9 }, qualityMode: 'approve' }),
    Step.lambda('publish', () => ({ published: true })),
  ],
});

/** Waits for the desk's go-ahead, then books what it says. */
const booked = Workflow.define({
  name: 'actions.booked',
  steps: [Step.waitForSignal('go'), Step.lambda('book', (ctx) => ({ booked: ctx.getOutput<{ amount: number }>('go')!.amount }))],
});

/** Params declared as data, so the console's start form and the API convert and check them. */
const payment = Workflow.define({
  name: 'actions.payment',
  params: { amount: { type: 'number', required: true, minimum: 0 }, rush: { type: 'boolean', default: false } },
  steps: [Step.lambda('pay', (ctx) => ({ paid: ctx.getParam<number>('amount'), type: typeof ctx.getParam('amount'), rush: ctx.getParam('rush') }))],
});

describe.each(testDrivers())('the console acts on what it shows (%s)', (driver) => {
  const database = useTestDatabase(driver);
  let spine: Spine;
  let open: ConsoleServer;
  let api: string;
  let csrf: string;
  const post = (path: string, body?: unknown) =>
    call(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-spine-csrf': csrf }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const detail = async (runId: string) =>
    (await call(`${api}/runs/${runId}`)).json as { run: { status: string }; waiting: Record<string, unknown> | null; actions: Record<string, unknown>; wallMs: number };
  const waitFor = (runId: string, status: string) => until(async () => (await spine.getRun(runId))?.status === status, 10_000, 25);

  beforeAll(async () => {
    spine = await Spine.create({
      database: database().dataSource,
      workflows: [gated, booked, payment],
      schedules: [{ workflow: 'actions.payment', cron: '0 16 * * 1-5', timezone: 'America/New_York', name: 'actions.daily', params: () => ({ amount: 1 }) }],
      recoverOnStart: false,
      signalPollMs: 20,
      logger: { warn: () => undefined, error: () => undefined, info: () => undefined },
    });
    open = await startConsole(spine, { port: 0, token: null });
    api = `${open.url}/api`;
    csrf = csrfOf((await call(`${open.url}/runs`)).text);
  });
  afterAll(async () => {
    await open?.close();
    await spine?.close();
  });

  it('approves a gate from the page: the run says which gate it waits at, the decision is the console’s, and the run goes on', async () => {
    const { runId } = await spine.start('actions.gated', { params: { valid: 5 } });
    await until(async () => (await detail(runId)).waiting !== null, 10_000, 25);
    const waiting = await detail(runId);
    expect(waiting.waiting).toEqual({ kind: 'approval', step: 'load', signal: 'approval:load' });
    expect(waiting.actions).toMatchObject({ decide: true, signal: true });
    expect((await post(`/runs/${runId}/approve`, { note: 'vendor confirmed', extra: 1 })).json.error).toBe(`POST /api/runs/${runId}/approve takes note, step; unknown: extra.`);
    const approved = await post(`/runs/${runId}/approve`, { note: 'vendor confirmed' });
    expect(approved.status).toBe(200);
    expect(approved.json).toEqual({ runId, step: 'load', approved: true });
    await waitFor(runId, 'completed');
    const signals = await spine.listSignals(runId);
    expect(signals.map((s) => [s.name, s.payload])).toEqual([['approval:load', { approved: true, by: 'console', note: 'vendor confirmed' }]]);
    expect((await post(`/runs/${runId}/approve`, {})).status).toBe(409);
  });

  it('rejects a gate: the step fails with the note', async () => {
    const { runId } = await spine.start('actions.gated', { params: { valid: 5 } });
    await until(async () => (await spine.pendingApprovals(runId)).length > 0, 10_000, 25);
    expect((await post(`/runs/${runId}/reject`, { note: 'half the rows are bad' })).status).toBe(200);
    await waitFor(runId, 'failed');
    expect((await spine.getRun(runId))!.error).toContain('half the rows are bad');
  });

  it('sends a signal a run waits for, with its payload; the run says what it waits for first', async () => {
    const { runId } = await spine.start('actions.booked');
    await until(async () => (await detail(runId)).waiting !== null, 10_000, 25);
    expect((await detail(runId)).waiting).toMatchObject({ kind: 'signal', step: 'go', signal: 'go' });
    expect((await post(`/runs/${runId}/signals`, { payload: {} })).json.error).toContain('name must be the signal');
    const sent = await post(`/runs/${runId}/signals`, { name: 'go', payload: { amount: 250 } });
    expect(sent.status).toBe(200);
    await waitFor(runId, 'completed');
    const result = await spine.waitForResult(runId);
    expect(result.context.getOutput('book')).toEqual({ booked: 250 });
    const done = await detail(runId);
    expect(done.waiting).toBeNull();
    expect(done.wallMs).toBeGreaterThanOrEqual(0);
  });

  it('starts a run of a workflow with its params converted and checked, marked as started from the console', async () => {
    const bad = await post('/workflows/actions.payment/runs', { params: { amount: 'lots' } });
    expect(bad.status).toBe(400);
    expect(bad.json.violations).toEqual([{ field: 'amount', value: 'lots', constraints: ['must be a number; got "lots"'] }]);
    expect((await post('/workflows/actions.payment/runs', { params: {}, priority: 1 })).json.error).toContain('takes params, queue; unknown: priority');
    const started = await post('/workflows/actions.payment/runs', { params: { amount: '500', rush: 'yes' } });
    expect(started.status).toBe(202);
    const runId = started.json.runId as string;
    await waitFor(runId, 'completed');
    expect((await spine.getRun(runId))!.triggerSource).toBe('console');
    expect((await spine.waitForResult(runId)).context.getOutput('pay')).toEqual({ paid: 500, type: 'number', rush: true });
    const queued = await post('/workflows/actions.payment/runs', { params: { amount: 1 }, queue: 'payments' });
    expect(queued.json).toMatchObject({ started: 'queued', queue: 'payments' });
    expect((await spine.getRun(queued.json.runId as string))!.status).toBe('queued');
    expect((await post('/workflows/actions.nope/runs', {})).status).toBe(404);
  });

  it('pauses, resumes, triggers and backfills a schedule (a dry run first)', async () => {
    expect(((await post('/schedules/actions.daily/pause')).json.schedule as { paused: boolean }).paused).toBe(true);
    expect(((await post('/schedules/actions.daily/resume')).json.schedule as { paused: boolean }).paused).toBe(false);
    const fired = await post('/schedules/actions.daily/trigger', { at: '2026-10-23T20:00:00Z' });
    expect(fired.status).toBe(202);
    expect(fired.json.fireTime).toBe('2026-10-23T20:00:00.000Z');
    const plan = await post('/schedules/actions.daily/backfill', { from: '2026-10-19', to: '2026-10-23', dryRun: true });
    expect(plan.status).toBe(200);
    const entries = plan.json.entries as { localDate: string; action: string }[];
    expect(entries.map((e) => [e.localDate, e.action])).toEqual([
      ['2026-10-19', 'enqueue'],
      ['2026-10-20', 'enqueue'],
      ['2026-10-21', 'enqueue'],
      ['2026-10-22', 'enqueue'],
      ['2026-10-23', 'skip'],
    ]);
    expect((await post('/schedules/actions.daily/backfill', { from: 'monday', to: '2026-10-23' })).status).toBe(400);
    expect((await post('/schedules/actions.daily/explode')).status).toBe(404);
  });

  it('streams a run’s events as Server-Sent Events until it ends; an unknown run is one error event', async () => {
    const { runId } = await spine.start('actions.booked');
    const stream = readEvents(`${api}/runs/${runId}/events`);
    await until(async () => (await detail(runId)).waiting !== null, 10_000, 25);
    await post(`/runs/${runId}/signals`, { name: 'go', payload: { amount: 7 } });
    const { headers, events } = await stream;
    expect(headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const types = events.map((e) => e.event);
    expect(types.filter((t) => t !== 'signal_received')).toEqual(['run_started', 'signal_waiting', 'step_completed', 'step_completed', 'run_completed', 'end']);
    expect(JSON.parse(events.find((e) => e.event === 'signal_waiting')!.data)).toMatchObject({ runId, step: 'go', signal: 'go' });
    expect(events.map((e) => e.id).filter((id) => id !== undefined)).toEqual(events.slice(0, -1).map((_, i) => String(i + 1)));
    const unknown = await readEvents(`${api}/runs/no-such-run/events`);
    expect(unknown.events).toEqual([{ event: 'error', data: JSON.stringify({ error: 'Run "no-such-run" was not found (purged, or never recorded); nothing to watch.' }) }]);
  });

  it('refuses every action in a read-only console', async () => {
    const readOnly = await startConsole(spine, { port: 0, token: null, readOnly: true });
    try {
      const token = csrfOf((await call(`${readOnly.url}/runs`)).text);
      for (const path of ['/schedules/actions.daily/pause', '/workflows/actions.payment/runs', '/runs/x/signals']) {
        const refused = await call(`${readOnly.url}/api${path}`, { method: 'POST', headers: { 'x-spine-csrf': token }, body: '{}' });
        expect(refused.status).toBe(403);
      }
    } finally {
      await readOnly.close();
    }
  });
});

/** Reads a Server-Sent Events stream to its end: its headers and events (`event`, `data`, `id`). */
function readEvents(url: string): Promise<{ headers: IncomingMessage['headers']; events: { event: string; data: string; id?: string }[] }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { accept: 'text/event-stream' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const events = text
          .split('\n\n')
          .map((block) => block.split('\n').filter((line) => line !== '' && !line.startsWith(':') && !line.startsWith('retry:')))
          .filter((lines) => lines.length > 0)
          .map((lines) => {
            const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
            return { event: field('event')!, data: field('data')!, ...(field('id') !== undefined && { id: field('id') }) };
          });
        resolve({ headers: res.headers, events });
      });
    }).on('error', reject);
  });
}
