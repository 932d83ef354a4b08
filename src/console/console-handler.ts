import { SpineError } from '../core/errors/spine-error';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { logError } from '../core/logging/logger.port';
import type { Spine } from '../spine/spine';
import { streamRunEvents } from './console-events';
import { ConsoleApi } from './console-api';
import { consoleAsset } from './console-assets';
import { ConsoleSecurity, SESSION_COOKIE, type Caller } from './console-security';

/** Options of the console (the handler, `spine console`, Nest's `console` option). */
export interface ConsoleOptions {
  /**
   * The token a request must carry (`Authorization: Bearer <token>`, or the login page's cookie);
   * at least 16 characters. Default: `SPINE_CONSOLE_TOKEN`. Without one, only loopback clients are answered.
   */
  readonly token?: string | null;
  /** No actions: resume and cancel are refused (403) and their buttons not shown. */
  readonly readOnly?: boolean;
  /**
   * The path the console is mounted at (`/spine`), for a plain `node:http` or Fastify route that
   * hands it the whole URL. Express (`app.use('/spine', handler)`) and Nest need none.
   */
  readonly basePath?: string;
  /**
   * Host names the console answers besides localhost, `*.localhost` and IP addresses, e.g.
   * `['spine.example.com', '.internal.example']` (a leading dot: the name and its subdomains).
   * A request addressed to any other name is refused (403) before anything else: that is what
   * stops DNS rebinding. `'all'` turns the check off (only behind a proxy that checks Host itself).
   */
  readonly allowedHosts?: readonly string[] | 'all';
  /**
   * The console runs behind a reverse proxy: X-Forwarded-Host and X-Forwarded-Proto are believed,
   * and a token is required (behind a proxy every request comes from loopback). Default false:
   * a request that carries forwarding headers is never taken for a loopback client.
   */
  readonly trustProxy?: boolean;
  /** How long an API request may wait for the database before it is answered 503 (default 5000 ms). */
  readonly queryTimeoutMs?: number;
}

/** A request handler for `node:http`, Express (`app.use(path, handler)`), Fastify (`reply.hijack()`, then the raw request and reply) or Nest. */
export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

const MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_QUERY_TIMEOUT_MS = 5_000;

/** The promise's value, or null when it has not settled within `ms` (it goes on; its outcome is dropped). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
const PAGES = /^\/(?:|runs(?:\/[^/]+)?|workflows(?:\/[^/]+)?|quality|queues)$/;

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  // no inline script or style and no other origin: a stored string can only ever be text
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Text for an HTML attribute or element. */
function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store', ...extra });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

async function readBody(req: IncomingMessage & { body?: unknown }): Promise<string | unknown> {
  // a framework's body parser (Express's json(), Nest) may have read it already
  if (req.body !== undefined && req.readableEnded) return req.body;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error(`The request body is over ${MAX_BODY_BYTES} bytes.`), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function shell(base: string, csrf: string, readOnly: boolean, loggedIn: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>spine console</title>
<link rel="icon" href="data:,">
<base href="${html(base)}/">
<meta name="spine-csrf" content="${html(csrf)}">
<meta name="spine-read-only" content="${readOnly ? '1' : '0'}">
<link rel="stylesheet" href="assets/uplot.css">
<link rel="stylesheet" href="assets/app.css">
<script defer src="assets/uplot.js"></script>
<script defer src="assets/dagre.js"></script>
<script defer src="assets/app.js"></script>
</head>
<body>
<header class="top">
<a class="brand" href="runs">spine</a>
<nav><a href="runs" data-nav="runs">Runs</a><a href="workflows" data-nav="workflows">Workflows</a><a href="quality" data-nav="quality">Quality</a><a href="queues" data-nav="queues">Queues</a></nav>
${readOnly ? '<span class="pill">read-only</span>' : ''}${loggedIn ? '<form method="post" action="logout" class="logout"><button type="submit">Log out</button></form>' : ''}
</header>
<main id="main"><p class="muted">Loading…</p></main>
</body>
</html>`;
}

function loginPage(base: string, problem: string | null): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>spine console: log in</title><base href="${html(base)}/"><link rel="stylesheet" href="assets/app.css"></head>
<body class="login">
<form method="post" action="login" class="card">
<h1>spine console</h1>
<p>Enter the console's token (<code>SPINE_CONSOLE_TOKEN</code>).</p>
${problem === null ? '' : `<p class="error">${html(problem)}</p>`}
<input type="password" name="token" autocomplete="current-password" autofocus required aria-label="token">
<button type="submit">Log in</button>
</form>
</body>
</html>`;
}

/**
 * The web console as a request handler, against the Spine it is given: pages for runs, a run,
 * workflows, quality and queues, and their JSON API under `api/`. Safe by default: with no token
 * only loopback clients are answered; with one every request needs it (bearer or the login page's
 * cookie); actions are POSTs with a CSRF token; pages have no inline script (a strict CSP) and
 * show every stored string as text.
 */
export function createConsoleHandler(spine: Spine, options: ConsoleOptions = {}): ConsoleHandler {
  const security = new ConsoleSecurity(options.token === undefined ? (process.env.SPINE_CONSOLE_TOKEN ?? null) || null : options.token, {
    ...(options.allowedHosts !== undefined && { allowedHosts: options.allowedHosts }),
    ...(options.trustProxy !== undefined && { trustProxy: options.trustProxy }),
  });
  const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  if (!Number.isInteger(queryTimeoutMs) || queryTimeoutMs < 1)
    throw new SpineError('invalid-argument', `queryTimeoutMs must be a whole number of milliseconds above 0 (got ${String(queryTimeoutMs)}).`);
  const readOnly = options.readOnly ?? false;
  const api = new ConsoleApi(spine, { readOnly });
  const basePath = options.basePath?.replace(/\/+$/, '');

  const serve = async (req: IncomingMessage & { originalUrl?: string; baseUrl?: string; body?: unknown }, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> => {
    const base = basePath ?? (req.baseUrl ?? '').replace(/\/+$/, '');
    const url = new URL(req.originalUrl ?? req.url ?? '/', 'http://console.invalid');
    if (base !== '' && url.pathname !== base && !url.pathname.startsWith(`${base}/`)) {
      if (next !== undefined) return next();
      return send(res, 404, 'text/plain; charset=utf-8', 'Not found');
    }
    const path = url.pathname.slice(base.length) || '/';
    const method = req.method ?? 'GET';

    // before anything else: a request addressed to a name this console does not answer (DNS rebinding)
    const hostProblem = security.hostProblem(req);
    if (hostProblem !== null) {
      const text = `Refused: ${hostProblem}.`;
      return path.startsWith('/api/') ? sendJson(res, 403, { error: text }) : send(res, 403, 'text/plain; charset=utf-8', text);
    }
    try {
      decodeURIComponent(url.pathname);
    } catch {
      return send(res, 400, 'text/plain; charset=utf-8', 'The request path has a malformed %-encoding.');
    }

    if (method === 'GET' && path.startsWith('/assets/')) {
      const asset = consoleAsset(path.slice('/assets/'.length));
      if (asset === null) return send(res, 404, 'text/plain; charset=utf-8', 'No such asset');
      return send(res, 200, asset.type, asset.body, { 'Cache-Control': 'private, max-age=300' });
    }
    if (path === '/login' && security.token !== null) {
      if (method === 'POST') {
        const origin = security.originProblem(req);
        if (origin !== null) return send(res, 403, 'text/plain; charset=utf-8', `Refused: ${origin}.`);
        const body = await readBody(req);
        const token = typeof body === 'string' ? (new URLSearchParams(body).get('token') ?? '') : String((body as { token?: unknown } | null)?.token ?? '');
        if (!security.checkLogin(token)) return send(res, 401, 'text/html; charset=utf-8', loginPage(base, 'That token is not this console’s.'));
        const cookie = `${SESSION_COOKIE}=${security.startSession(req)}; ${security.cookieAttributes(req, base || '/')}`;
        return send(res, 303, 'text/plain; charset=utf-8', 'Logged in', { Location: `${base}/runs`, 'Set-Cookie': cookie });
      }
      return send(res, 200, 'text/html; charset=utf-8', loginPage(base, null));
    }

    const caller: Caller | null = security.identify(req);
    if (caller === null) {
      if (security.token === null) {
        const proxied = security.forwardedBy(req);
        const text =
          proxied === null
            ? 'The spine console answers only loopback clients unless it has a token: set SPINE_CONSOLE_TOKEN (or the token option).'
            : `The spine console answers a request that came through a proxy (it carries ${proxied}) only with a token: set SPINE_CONSOLE_TOKEN and the trustProxy option.`;
        return path.startsWith('/api/') ? sendJson(res, 403, { error: text }) : send(res, 403, 'text/plain; charset=utf-8', text);
      }
      if (path.startsWith('/api/')) return sendJson(res, 401, { error: 'A token is needed: send Authorization: Bearer <SPINE_CONSOLE_TOKEN>, or log in on the console’s login page.' });
      return send(res, 303, 'text/plain; charset=utf-8', 'Log in first', { Location: `${base}/login` });
    }
    if (method === 'POST' && path === '/logout') {
      const problem = security.csrfProblem(req, caller);
      if (problem !== null) return send(res, 403, 'text/plain; charset=utf-8', `Refused: ${problem}.`);
      security.endSession(req);
      return send(res, 303, 'text/plain; charset=utf-8', 'Logged out', { Location: `${base}/login`, 'Set-Cookie': `${SESSION_COOKIE}=; ${security.cookieAttributes(req, base || '/')}; Max-Age=0` });
    }
    const streamed = method === 'GET' ? /^\/api\/runs\/([^/]+)\/events$/.exec(path) : null;
    if (streamed !== null) return streamRunEvents(spine, decodeURIComponent(streamed[1]!), req, res, SECURITY_HEADERS);
    if (path.startsWith('/api/')) {
      if (method !== 'GET') {
        const problem = security.csrfProblem(req, caller);
        if (problem !== null) return sendJson(res, 403, { error: `Refused: ${problem}.` });
      }
      let body: unknown;
      if (method === 'POST') {
        const raw = await readBody(req);
        if (typeof raw === 'string') {
          try {
            body = raw.trim() === '' ? undefined : JSON.parse(raw);
          } catch {
            return sendJson(res, 400, { error: 'The request body is not JSON.' });
          }
        } else body = raw;
      }
      const reply = await withTimeout(api.handle({ method, path: path.slice('/api'.length), query: url.searchParams, body }), queryTimeoutMs);
      if (reply === null) {
        return sendJson(res, 503, { error: `The database is not answering (no reply within ${queryTimeoutMs / 1000} s); try again once it is back (spine doctor checks it).` });
      }
      return sendJson(res, reply.status, reply.body);
    }
    if (method === 'GET' && PAGES.test(path)) {
      if (path === '/') return send(res, 303, 'text/plain; charset=utf-8', 'See the runs', { Location: `${base}/runs` });
      return send(res, 200, 'text/html; charset=utf-8', shell(base, security.csrfTokenFor(req, caller), readOnly, caller === 'session'));
    }
    if (next !== undefined) return next();
    send(res, 404, 'text/plain; charset=utf-8', `No console page ${path}; the pages are runs, workflows, quality and queues.`);
  };

  return (req, res, next) => {
    serve(req, res, next).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const status = (error as { status?: number }).status ?? 500;
      // the details (a database's host and port, a driver's message) go to the server's log, not to the client
      const reference = randomBytes(4).toString('hex');
      logError(spine.logger, { error: message, url: req.url, reference }, `console: ${req.method} ${req.url} failed (${reference}): ${message}`);
      if (!res.headersSent) sendJson(res, status, { error: status === 500 ? `The console failed to answer (error ${reference}); the details are in the server's log.` : message });
      else res.end();
    });
  };
}
