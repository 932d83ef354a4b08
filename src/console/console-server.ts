import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpineError } from '../core/errors/spine-error';
import type { Spine } from '../spine/spine';
import { createConsoleHandler, type ConsoleOptions } from './console-handler';
import { hostNameOf, isLoopback } from './console-security';

/** Where `startConsole` listens. */
export interface ConsoleServerOptions extends Omit<ConsoleOptions, 'basePath'> {
  /** Default 4300; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. Any other address needs a token. */
  readonly host?: string;
}

/** A running console server. */
export interface ConsoleServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Serves the console on its own HTTP server (what `npx spine console` runs). It binds loopback
 * unless told otherwise, and refuses to listen on any other address without a token.
 */
export async function startConsole(spine: Spine, options: ConsoleServerOptions = {}): Promise<ConsoleServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 4300;
  const token = options.token === undefined ? (process.env.SPINE_CONSOLE_TOKEN ?? null) || null : options.token;
  if (!isLoopback(host) && token === null) {
    throw new SpineError(
      'invalid-argument',
      `Refusing to serve the console on ${host} without a token: anyone who can reach it could read runs and resume or cancel them. ` +
        'Set SPINE_CONSOLE_TOKEN (at least 16 characters, e.g. `openssl rand -hex 24`), or bind 127.0.0.1 (the default).',
    );
  }
  // the name the console was bound to is one it answers (an address is allowed anyway)
  const boundName = hostNameOf(host);
  const allowedHosts = options.allowedHosts === 'all' ? 'all' : [...(options.allowedHosts ?? []), ...(boundName !== null && !['0.0.0.0', '::'].includes(boundName) ? [boundName] : [])];
  const handler = createConsoleHandler(spine, { ...options, token, allowedHosts });
  const server = createServer((req, res) => handler(req, res));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new SpineError('invalid-argument', `Port ${port} on ${host} is in use; pick another with --port.`)
          : error.code === 'EADDRNOTAVAIL'
            ? new SpineError('invalid-argument', `${host} is not an address of this machine; pick another with --host.`)
            : error,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
