import 'reflect-metadata';
import { Spine, Step, StepResult, Workflow } from 'spine-orchestration';
import { startConsole, type ConsoleServer } from 'spine-orchestration/console';
import { call, csrfOf } from '../support/http-call';

jest.setTimeout(30_000);

const TOKEN = 'console-doors-token-0123456789';

const queued = Workflow.define({ name: 'doors.queued', queue: 'doors-q', steps: [Step.lambda('only', () => ({ ok: true }))] });
const failing = Workflow.define({ name: 'doors.failing', steps: [Step.lambda('first', () => ({ ok: true })), Step.lambda('breaks', () => StepResult.fail('broken on purpose'))] });

describe('the console at its doors', () => {
  let spine: Spine;
  let open: ConsoleServer;
  let port: string;

  beforeAll(async () => {
    spine = await Spine.create({ database: 'memory', workflows: [queued, failing], recoverOnStart: false, logger: { warn: () => undefined, error: () => undefined } });
    open = await startConsole(spine, { port: 0, token: null, queryTimeoutMs: 300 });
    port = new URL(open.url).port;
  });
  afterAll(async () => {
    await open?.close();
    await spine?.close();
  });

  describe('DNS rebinding: a request addressed to a name it was not told about', () => {
    it('is refused with 403 before anything is read, pages and API alike, and the message names the option', async () => {
      const evil = { host: `evil.example:${port}` };
      const page = await call(`${open.url}/runs`, { headers: evil });
      expect(page.status).toBe(403);
      expect(page.text).not.toContain('spine-csrf');
      expect(page.text).toContain('--allowed-host evil.example');
      const api = await call(`${open.url}/api/runs`, { headers: evil });
      expect(api.status).toBe(403);
      expect(api.json.error).toContain('allowedHosts');
      expect((await call(`${open.url}/assets/app.js`, { headers: evil })).status).toBe(403);
    });

    it('cannot cancel a run even with a CSRF token taken from a loopback page and an Origin equal to its Host', async () => {
      const { runId } = await spine.enqueue('doors.queued');
      const csrf = csrfOf((await call(`${open.url}/runs`)).text);
      const refused = await call(`${open.url}/api/runs/${runId}/cancel`, {
        method: 'POST',
        headers: { host: `evil.example:${port}`, origin: `http://evil.example:${port}`, 'x-spine-csrf': csrf },
      });
      expect(refused.status).toBe(403);
      expect((await spine.getRun(runId))!.cancelRequested).toBe(false);
    });

    it('answers localhost, *.localhost and IP addresses, and refuses a missing or malformed Host', async () => {
      for (const host of [`localhost:${port}`, `app.localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST.:${port}`]) {
        expect({ host, status: (await call(`${open.url}/api/session`, { headers: { host } })).status }).toEqual({ host, status: 200 });
      }
      expect((await call(`${open.url}/api/session`, { headers: { host: 'bad host!' } })).status).toBe(403);
    });

    it('answers a name it is told about (allowedHosts, a leading dot for subdomains), and refuses an Origin of another allowed name', async () => {
      const named = await startConsole(spine, { port: 0, token: null, allowedHosts: ['spine.internal', '.corp.example'] });
      try {
        const p = new URL(named.url).port;
        expect((await call(`${named.url}/api/session`, { headers: { host: `spine.internal:${p}` } })).status).toBe(200);
        expect((await call(`${named.url}/api/session`, { headers: { host: `ops.corp.example:${p}` } })).status).toBe(200);
        expect((await call(`${named.url}/api/session`, { headers: { host: `corp.example.evil:${p}` } })).status).toBe(403);
        const { runId } = await spine.enqueue('doors.queued');
        const page = await call(`${named.url}/runs`, { headers: { host: `spine.internal:${p}` } });
        const crossOrigin = await call(`${named.url}/api/runs/${runId}/cancel`, {
          method: 'POST',
          headers: { host: `spine.internal:${p}`, origin: `http://ops.corp.example:${p}`, 'x-spine-csrf': csrfOf(page.text) },
        });
        expect(crossOrigin.status).toBe(403);
        const sameOrigin = await call(`${named.url}/api/runs/${runId}/cancel`, {
          method: 'POST',
          headers: { host: `spine.internal:${p}`, origin: `http://spine.internal:${p}`, 'x-spine-csrf': csrfOf(page.text) },
        });
        expect(sameOrigin.status).toBe(200);
      } finally {
        await named.close();
      }
    });

    it('refuses an allowedHosts entry that is not a host name, naming it', async () => {
      await expect(startConsole(spine, { port: 0, token: null, allowedHosts: ['http://x.example:80'] })).rejects.toThrow('allowedHosts: "http://x.example:80" is not a host name');
    });
  });

  describe('behind a reverse proxy on the same host', () => {
    it('without a token refuses a forwarded request though its peer is loopback, and says to use a token and trustProxy', async () => {
      const proxied = await call(`${open.url}/api/runs`, { headers: { 'x-forwarded-for': '198.51.100.7' } });
      expect(proxied.status).toBe(403);
      expect(proxied.json.error).toContain('came through a proxy (it carries x-forwarded-for)');
      expect(proxied.json.error).toContain('trustProxy');
    });

    it('with trustProxy needs the token, checks X-Forwarded-Host, and marks the session cookie Secure over HTTPS', async () => {
      const behind = await startConsole(spine, { port: 0, token: TOKEN, trustProxy: true, allowedHosts: ['spine.example.com'] });
      try {
        const viaProxy = { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-host': 'spine.example.com', 'x-forwarded-proto': 'https' };
        expect((await call(`${behind.url}/api/runs`, { headers: viaProxy })).status).toBe(401);
        expect((await call(`${behind.url}/api/runs`, { headers: { ...viaProxy, 'x-forwarded-host': 'evil.example' } })).status).toBe(403);
        const login = await call(`${behind.url}/login`, {
          method: 'POST',
          headers: { ...viaProxy, origin: 'https://spine.example.com', 'content-type': 'application/x-www-form-urlencoded' },
          body: `token=${TOKEN}`,
        });
        expect(login.status).toBe(303);
        expect(login.headers['set-cookie']![0]).toMatch(/; Secure/);
        const cookie = login.headers['set-cookie']![0]!.split(';')[0]!;
        expect((await call(`${behind.url}/api/runs`, { headers: { ...viaProxy, cookie } })).status).toBe(200);
      } finally {
        await behind.close();
      }
    });

    it('refuses trustProxy without a token', async () => {
      await expect(startConsole(spine, { port: 0, token: null, trustProxy: true })).rejects.toThrow('trustProxy needs a token');
    });
  });

  describe('sessions', () => {
    let server: ConsoleServer;
    beforeAll(async () => {
      server = await startConsole(spine, { port: 0, token: TOKEN });
    });
    afterAll(async () => server?.close());

    const login = async (): Promise<string> => {
      const reply = await call(`${server.url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}` });
      expect(reply.status).toBe(303);
      expect(reply.headers['set-cookie']![0]).not.toMatch(/; Secure/);
      return reply.headers['set-cookie']![0]!.split(';')[0]!;
    };

    it('gives each login a fresh session and CSRF token, and a logout ends both', async () => {
      const first = await login();
      const second = await login();
      expect(first).not.toBe(second);
      const csrf1 = csrfOf((await call(`${server.url}/runs`, { headers: { cookie: first } })).text);
      const csrf2 = csrfOf((await call(`${server.url}/runs`, { headers: { cookie: second } })).text);
      expect(csrf1).not.toBe(csrf2);

      const { runId } = await spine.enqueue('doors.queued');
      // one session's CSRF token does not serve another session
      const swapped = await call(`${server.url}/api/runs/${runId}/cancel`, { method: 'POST', headers: { cookie: second, 'x-spine-csrf': csrf1 } });
      expect(swapped.status).toBe(403);

      const logout = await call(`${server.url}/logout`, { method: 'POST', headers: { cookie: first, 'x-spine-csrf': csrf1 } });
      expect(logout.status).toBe(303);
      expect(logout.headers['set-cookie']![0]).toContain('Max-Age=0');
      // the old cookie no longer lets anyone in, though a browser (or a thief) kept it
      expect((await call(`${server.url}/api/runs`, { headers: { cookie: first } })).status).toBe(401);
      expect((await call(`${server.url}/api/runs`, { headers: { cookie: second } })).status).toBe(200);
    });

    it('refuses a logout without the CSRF token (a cross-site form cannot log a user out)', async () => {
      const cookie = await login();
      expect((await call(`${server.url}/logout`, { method: 'POST', headers: { cookie } })).status).toBe(403);
      expect((await call(`${server.url}/api/runs`, { headers: { cookie } })).status).toBe(200);
    });
  });

  describe('robustness', () => {
    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('answers /assets/%s with 404, not 500', async (name) => {
      const reply = await call(`${open.url}/assets/${name}`);
      expect(reply.status).toBe(404);
    });

    it('answers a malformed %-encoding in the path with 400, and ignores a malformed cookie of another application', async () => {
      expect((await call(open.url, { path: '/runs/%E0%A4%A' })).status).toBe(400);
      expect((await call(open.url, { path: '/api/runs/%zz' })).status).toBe(400);
      const withCookie = await call(`${open.url}/api/runs`, { headers: { cookie: 'other=%E0%A4%A; spine_console=%' } });
      expect(withCookie.status).toBe(200);
    });

    it('answers 503 "database not answering" when the store does not reply in time, and never shows connection details', async () => {
      const original = spine.listRuns.bind(spine);
      spine.listRuns = () => new Promise(() => undefined);
      try {
        const reply = await call(`${open.url}/api/runs`);
        expect(reply.status).toBe(503);
        expect(reply.json.error).toContain('The database is not answering');
      } finally {
        spine.listRuns = original;
      }
      spine.listRuns = () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.12:3306 (user spine)'));
      try {
        const reply = await call(`${open.url}/api/runs`);
        expect(reply.status).toBe(500);
        expect(reply.text).not.toContain('10.0.0.12');
        expect(reply.text).not.toContain('3306');
        expect(reply.json.error).toMatch(/error [0-9a-f]{8}\); the details are in the server's log/);
      } finally {
        spine.listRuns = original;
      }
    });

    it('answers a resume from an unknown step, or with an unsafe key in its params, with 400 naming it, not 500', async () => {
      const failed = await spine.run('doors.failing');
      expect(failed.status).toBe('failed');
      const csrf = csrfOf((await call(`${open.url}/runs`)).text);
      const resume = (body: string) => call(`${open.url}/api/runs/${failed.runId}/resume`, { method: 'POST', headers: { 'x-spine-csrf': csrf }, body });
      const unknownStep = await resume('{"startFrom": "nope", "via": "here"}');
      expect(unknownStep.status).toBe(400);
      expect(unknownStep.json).toMatchObject({ kind: 'unknown-step' });
      expect(unknownStep.json.error).toContain('has no step "nope"');
      const unsafe = await resume('{"params": {"a": {"__proto__": {"x": 1}}}, "via": "here"}');
      expect(unsafe.status).toBe(400);
      expect(unsafe.json.error).toContain('.a.__proto__');
      expect((await spine.getRun(failed.runId))!.status).toBe('failed');
    });

    it('refuses a body over 1 MiB with 413', async () => {
      const { runId } = await spine.enqueue('doors.queued');
      const csrf = csrfOf((await call(`${open.url}/runs`)).text);
      const reply = await call(`${open.url}/api/runs/${runId}/resume`, { method: 'POST', headers: { 'x-spine-csrf': csrf }, body: `{"params":{"x":"${'a'.repeat(1_100_000)}"}}` });
      expect(reply.status).toBe(413);
    });
  });
});
