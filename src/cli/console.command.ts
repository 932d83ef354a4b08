import type { Command } from 'commander';
import { CliError } from './cli.error';
import { asUsageError, print, withSpine, type CliIo, type GlobalOptions } from './cli.shared';

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new CliError(`--port must be a port number from 0 to 65535 (got "${value}"; 0 picks a free one).`);
  return n;
}

function collectHost(value: string, previous: string[]): string[] {
  const name = value.trim().toLowerCase();
  if (!/^\.?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/.test(name)) throw new CliError(`--allowed-host takes a host name such as spine.example.com or .example.com, without scheme or port (got "${value}").`);
  return [...previous, name];
}

/** `spine console`: serves the web console against the configured database until stopped. */
export function addConsoleCommand(program: Command, io: CliIo, global: () => GlobalOptions): void {
  program
    .command('console')
    .description("serve the web console (runs, a run's timeline and graph, workflows, quality, queues) against the configured database")
    .option('-p, --port <port>', 'port to listen on (0: a free one)', parsePort, 4300)
    .option('--host <address>', 'address to bind; anything but loopback needs SPINE_CONSOLE_TOKEN', '127.0.0.1')
    .option('--read-only', 'no resume or cancel from the console')
    .option('--allowed-host <name>', 'a host name the console answers besides localhost and IP addresses (repeat for more; .example.com: it and its subdomains)', collectHost, [])
    .option('--trust-proxy', 'behind a reverse proxy: believe X-Forwarded-Host/-Proto (needs SPINE_CONSOLE_TOKEN)')
    .action(async (opts: { port: number; host: string; readOnly?: boolean; allowedHost: string[]; trustProxy?: boolean }) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the console's server is loaded only by this command
      const { startConsole } = require('../console/console-server') as typeof import('../console/console-server');
      const stop = new AbortController();
      const onSignal = (): void => {
        if (stop.signal.aborted) process.exit(130);
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        await withSpine(io, global(), { recoverOnStart: false }, async (spine) => {
          const server = await startConsole(spine, {
            port: opts.port,
            host: opts.host,
            readOnly: opts.readOnly === true,
            allowedHosts: opts.allowedHost,
            trustProxy: opts.trustProxy === true,
          }).catch((error: unknown) => Promise.reject(asUsageError(error)));
          const token = (process.env.SPINE_CONSOLE_TOKEN ?? '') !== '';
          const names = opts.allowedHost.length === 0 ? '' : `, also answers ${opts.allowedHost.join(', ')}`;
          print(
            io,
            `spine console on ${server.url}/runs  (${spine.workflows().length} workflows${opts.readOnly === true ? ', read-only' : ''}${token ? ', token required' : ', loopback clients only'}${names}${opts.trustProxy === true ? ', behind a proxy' : ''})`,
          );
          print(io, `  JSON API: ${server.url}/api/runs   Stop with Ctrl-C.`);
          await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
          print(io, 'Stopping the console; a resume started from it finishes its step first…');
          await server.close();
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
