import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The cookie the login page sets: a MAC of the token, never the token itself. */
export const SESSION_COOKIE = 'spine_console';
/** The header every page action (a POST from the console's own pages) carries. */
export const CSRF_HEADER = 'x-spine-csrf';

/** True for a loopback address (127.0.0.0/8, ::1, localhost, IPv4 mapped into IPv6). */
export function isLoopback(address: string | undefined | null): boolean {
  if (address === undefined || address === null) return false;
  const host = address.replace(/^\[|\]$/g, '').replace(/^::ffff:/i, '');
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookies(req: IncomingMessage): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) found.set(part.slice(0, at).trim(), decodeURIComponent(part.slice(at + 1).trim()));
  }
  return found;
}

/** How a request proved who it is: a bearer token (a script), the session cookie (a browser), or nothing needed (no token, a loopback client). */
export type Caller = 'bearer' | 'session' | 'open';

/**
 * The console's guard. With a token: a request needs `Authorization: Bearer <token>` or the
 * session cookie the login page sets (an HMAC of the token). Without one: only loopback clients
 * are answered. A POST from a browser session must carry the CSRF token of the page (a header a
 * cross-site form cannot set) and, when the browser sends one, an Origin of this host.
 */
export class ConsoleSecurity {
  private readonly secret: Buffer;

  constructor(readonly token: string | null) {
    if (token !== null && token.length < 16) {
      throw new Error('The console token must be at least 16 characters (SPINE_CONSOLE_TOKEN); make one with: openssl rand -hex 24');
    }
    this.secret = token === null ? randomBytes(32) : createHmac('sha256', 'spine-console').update(token).digest();
  }

  private mac(purpose: string): string {
    return createHmac('sha256', this.secret).update(purpose).digest('base64url');
  }

  /** The value of the session cookie a correct login gets. */
  get sessionValue(): string {
    return this.mac('session');
  }

  /** The CSRF token the pages carry (the same for every page of this console). */
  get csrfToken(): string {
    return this.mac('csrf');
  }

  /** Who is calling, or null when the request is not allowed in (the reason is the caller's to show). */
  identify(req: IncomingMessage): Caller | null {
    if (this.token === null) return isLoopback(req.socket.remoteAddress) ? 'open' : null;
    const auth = req.headers.authorization ?? '';
    if (auth.startsWith('Bearer ') && same(auth.slice(7).trim(), this.token)) return 'bearer';
    const session = cookies(req).get(SESSION_COOKIE);
    return session !== undefined && same(session, this.sessionValue) ? 'session' : null;
  }

  /** True when a login form's token is right. */
  checkLogin(token: string): boolean {
    return this.token !== null && same(token, this.token);
  }

  /** Why a state-changing request from a browser is refused (null: it may go on). Scripts with a bearer token need no CSRF token. */
  csrfProblem(req: IncomingMessage, caller: Caller): string | null {
    if (caller === 'bearer') return null;
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let host: string;
      try {
        host = new URL(origin).host;
      } catch {
        return `the request's Origin "${origin}" is not a URL`;
      }
      if (host !== req.headers.host) return `the request comes from another site (${origin})`;
    }
    const sent = req.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !same(sent, this.csrfToken)) return `the ${CSRF_HEADER} header is missing or wrong (reload the page; a script sends Authorization: Bearer <SPINE_CONSOLE_TOKEN>, or the content of a page's <meta name="spine-csrf"> in ${CSRF_HEADER})`;
    return null;
  }
}
