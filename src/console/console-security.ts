import { SpineError } from '../core/errors/spine-error';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { isIP } from 'node:net';

/** The cookie the login page sets: a random session id (a fresh one per login), never the token. */
export const SESSION_COOKIE = 'spine_console';
/** The header every page action (a POST from the console's own pages) carries. */
export const CSRF_HEADER = 'x-spine-csrf';

/** Headers a reverse proxy adds: a request carrying one did not come from this machine's user directly. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'via'] as const;
/** How long a login lasts, and how many sessions one console keeps (the oldest goes first). */
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const MAX_SESSIONS = 10_000;

/** True for a loopback address (127.0.0.0/8, ::1, localhost, IPv4 mapped into IPv6). */
export function isLoopback(address: string | undefined | null): boolean {
  if (address === undefined || address === null) return false;
  const host = address.replace(/^\[|\]$/g, '').replace(/^::ffff:/i, '');
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** The host name of a `Host` header value (`name:port`, `[v6]:port`), lower case, without a trailing dot; null when it is not one. */
export function hostNameOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const value = header.trim().toLowerCase();
  const name = value.startsWith('[') ? value.slice(1, value.indexOf(']')) : value.replace(/:\d*$/, '');
  if (name === '' || !/^[a-z0-9.:_-]+$/.test(name)) return null;
  return name.replace(/\.$/, '');
}

/**
 * Whether the console may answer a request addressed to `name`. By default: localhost and names
 * under `.localhost` (browsers resolve them to loopback) and IP addresses (a rebinding attack needs
 * a name it controls; a page at an address is that address's own origin). Anything else only when
 * `allowed` lists it: a name, `.example.com` for it and its subdomains, or 'all' (no check).
 */
export function isAllowedHost(name: string, allowed: readonly string[] | 'all'): boolean {
  if (allowed === 'all') return true;
  if (name === 'localhost' || name.endsWith('.localhost') || isIP(name) !== 0) return true;
  return allowed.some((entry) => {
    const rule = entry.trim().toLowerCase().replace(/\.$/, '');
    return rule.startsWith('.') ? name === rule.slice(1) || name.endsWith(rule) : name === rule;
  });
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The request's cookies, raw: nothing is %-decoded (the console's own are base64url), so another application's malformed cookie on this host breaks nothing. */
function cookies(req: IncomingMessage): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) found.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return found;
}

/** The first value of a (possibly repeated, comma-separated) header. */
function firstValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text?.split(',')[0]?.trim() || undefined;
}

/** How a request proved who it is: a bearer token (a script), a login session (a browser), or nothing needed (no token, a loopback client). */
export type Caller = 'bearer' | 'session' | 'open';

/** What the guard is told (the console's options of the same names). */
export interface ConsoleSecurityOptions {
  /** Host names the console answers besides loopback names and IP addresses (`.example.com`: it and its subdomains; 'all': no Host check). */
  readonly allowedHosts?: readonly string[] | 'all';
  /** The console runs behind a reverse proxy: its forwarding headers are believed (X-Forwarded-Host, -Proto), and a token is required. */
  readonly trustProxy?: boolean;
}

/**
 * The console's guard.
 * - Every request must be addressed to an allowed host (the defence against DNS rebinding, where
 *   a page of another site reaches a loopback server under a name the attacker controls).
 * - With a token: a request needs `Authorization: Bearer <token>` or a login session's cookie (a
 *   random id, fresh per login, ended by logout). Without one: only loopback clients are
 *   answered, and only when no proxy forwarded the request.
 * - A state-changing request from a browser needs the CSRF token of its session (a header a
 *   cross-site form cannot set) and an Origin, when sent, of this allowed host.
 */
export class ConsoleSecurity {
  private readonly secret = randomBytes(32);
  private readonly sessions = new Map<string, number>();
  readonly allowedHosts: readonly string[] | 'all';
  readonly trustProxy: boolean;

  constructor(
    readonly token: string | null,
    options: ConsoleSecurityOptions = {},
  ) {
    if (token !== null && token.length < 16) {
      throw new SpineError('invalid-argument', 'The console token must be at least 16 characters (SPINE_CONSOLE_TOKEN); make one with: openssl rand -hex 24');
    }
    this.allowedHosts = options.allowedHosts ?? [];
    this.trustProxy = options.trustProxy ?? false;
    if (this.trustProxy && token === null) {
      throw new SpineError(
        'invalid-argument',
        'trustProxy needs a token: behind a proxy every request comes from loopback, so the console cannot tell who sent it. Set SPINE_CONSOLE_TOKEN (make one with: openssl rand -hex 24).',
      );
    }
    if (this.allowedHosts !== 'all') {
      for (const entry of this.allowedHosts) {
        if (typeof entry !== 'string' || hostNameOf(entry.replace(/^\./, '')) === null || entry.includes(':')) {
          throw new SpineError('invalid-argument', `allowedHosts: "${String(entry)}" is not a host name (give names like "spine.example.com" or ".example.com", without scheme or port).`);
        }
      }
    }
  }

  /** The host the request was addressed to (the proxy's X-Forwarded-Host when trusted), or null. */
  hostOf(req: IncomingMessage): string | null {
    const forwarded = this.trustProxy ? firstValue(req.headers['x-forwarded-host']) : undefined;
    return hostNameOf(forwarded ?? req.headers.host);
  }

  /** Why the request's Host is refused (null: it is allowed). Checked before anything else. */
  hostProblem(req: IncomingMessage): string | null {
    const raw = (this.trustProxy ? firstValue(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host;
    const name = hostNameOf(raw);
    if (name === null) return 'the request has no valid Host header';
    if (isAllowedHost(name, this.allowedHosts)) return null;
    return `the host "${name}" is not one this console answers (it answers localhost and IP addresses; allow a name with the allowedHosts option or --allowed-host ${name})`;
  }

  /** True when the request reached us over HTTPS (as the proxy says, when trusted). */
  isSecure(req: IncomingMessage): boolean {
    if ((req.socket as TLSSocket | undefined)?.encrypted === true) return true;
    return this.trustProxy && firstValue(req.headers['x-forwarded-proto'])?.toLowerCase() === 'https';
  }

  /** The forwarding header a request carries (it came through a proxy), or null. */
  forwardedBy(req: IncomingMessage): string | null {
    return FORWARDING_HEADERS.find((name) => req.headers[name] !== undefined) ?? null;
  }

  /** Who is calling, or null when the request is not allowed in (the reason is the caller's to show). */
  identify(req: IncomingMessage): Caller | null {
    if (this.token === null) return isLoopback(req.socket.remoteAddress) && this.forwardedBy(req) === null ? 'open' : null;
    const auth = req.headers.authorization ?? '';
    if (auth.startsWith('Bearer ') && same(auth.slice(7).trim(), this.token)) return 'bearer';
    return this.sessionOf(req) !== null ? 'session' : null;
  }

  /** The live session id the request's cookie names, or null. */
  private sessionOf(req: IncomingMessage): string | null {
    const id = cookies(req).get(SESSION_COOKIE);
    if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const expiresAt = this.sessions.get(id);
    if (expiresAt === undefined) return null;
    if (expiresAt <= Date.now()) {
      this.sessions.delete(id);
      return null;
    }
    return id;
  }

  /** True when a login form's token is right. */
  checkLogin(token: string): boolean {
    return this.token !== null && same(token, this.token);
  }

  /** Starts a session after a correct login: a fresh random id (the cookie's value); any session the request had is ended. */
  startSession(req?: IncomingMessage): string {
    if (req !== undefined) this.endSession(req);
    const id = randomBytes(32).toString('base64url');
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    this.sessions.set(id, Date.now() + SESSION_TTL_MS);
    return id;
  }

  /** Ends the request's session (logout): its cookie and CSRF token stop working at once. */
  endSession(req: IncomingMessage): void {
    const id = cookies(req).get(SESSION_COOKIE);
    if (id !== undefined) this.sessions.delete(id);
  }

  /** The CSRF token a page served to this request carries: bound to its session (or, with no token, to this console's process). */
  csrfTokenFor(req: IncomingMessage, caller: Caller): string {
    const session = caller === 'session' ? this.sessionOf(req) : null;
    return createHmac('sha256', this.secret)
      .update(`csrf:${caller}:${session ?? ''}`)
      .digest('base64url');
  }

  /** The attributes of the session cookie for this request (`Secure` over HTTPS). */
  cookieAttributes(req: IncomingMessage, path: string): string {
    return `HttpOnly; SameSite=Strict; Path=${path}${this.isSecure(req) ? '; Secure' : ''}`;
  }

  /** Why the request's Origin is refused for a state-changing request (null: none sent, or this allowed host). */
  originProblem(req: IncomingMessage): string | null {
    const origin = req.headers.origin;
    if (origin === undefined) return null;
    if (origin === 'null') return 'the request comes from an opaque origin (a sandboxed frame or a file)';
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return `the request's Origin "${origin}" is not a URL`;
    }
    const host = this.hostOf(req);
    const originHost = hostNameOf(url.host);
    if (originHost === null || !isAllowedHost(originHost, this.allowedHosts)) return `the request comes from another site (${origin})`;
    const sentHost = ((this.trustProxy ? firstValue(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host ?? '').toLowerCase();
    if (host === null || url.host.toLowerCase() !== sentHost) return `the request comes from another site (${origin})`;
    return null;
  }

  /** Why a state-changing request is refused (null: it may go on). Scripts with a bearer token need no CSRF token. */
  csrfProblem(req: IncomingMessage, caller: Caller): string | null {
    const origin = this.originProblem(req);
    if (origin !== null) return origin;
    if (caller === 'bearer') return null;
    const sent = req.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !same(sent, this.csrfTokenFor(req, caller))) {
      return `the ${CSRF_HEADER} header is missing or wrong (reload the page; a script sends Authorization: Bearer <SPINE_CONSOLE_TOKEN>, or the content of a page's <meta name="spine-csrf"> in ${CSRF_HEADER})`;
    }
    return null;
  }
}
