import { request as httpRequest, type IncomingMessage } from 'node:http';

/** One HTTP exchange, with the headers fetch hides (Set-Cookie, Location). */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly text: string;
  readonly json: Record<string, unknown>;
}

/**
 * One raw HTTP exchange with a loopback server. A `host` header given is sent as it is (what a
 * browser sends after DNS rebinding, or a proxy forwards); `path` sends a request target as
 * written (a malformed %-encoding, which URL would normalise).
 */
export async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; path?: string } = {}): Promise<Reply> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: init.path ?? `${target.pathname}${target.search}`,
        method: init.method ?? 'GET',
        headers: init.headers ?? {},
        setHost: init.headers?.host === undefined,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          if ((res.headers['content-type'] ?? '').startsWith('application/json')) json = JSON.parse(text) as Record<string, unknown>;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The CSRF token a console page carries. */
export const csrfOf = (page: string): string => /<meta name="spine-csrf" content="([^"]+)">/.exec(page)![1]!;
