import type { DynamicModule, LogLevel } from '@nestjs/common';
import { SpineError } from '../core/errors/spine-error';
import type { Spine } from '../spine/spine';
import { SpineService } from './spine.service';

/** A Nest application's module, as a file exports it: the module class, or a dynamic module (`AppModule.register({ … })`). */
export type NestAppModule = (abstract new (...args: never[]) => unknown) | DynamicModule;

/** A Nest application context booted for the command line, and the Spine its SpineModule made. */
export interface NestSpineContext {
  readonly spine: Spine;
  /** Closes the application: Spine hands its running runs off (SpineModule's shutdown), then the rest of the app closes. */
  close(): Promise<void>;
}

/**
 * Boots an application's module as a standalone Nest application context (no HTTP server), so its
 * workflows, pipelines and handlers run with Nest's injection, and returns its Spine. The module's
 * own `worker` option is left off: the caller (`spine worker --nest`) runs the worker it was asked for.
 */
export async function bootNestContext(module: NestAppModule, options: { readonly logLevels?: readonly LogLevel[] | false } = {}): Promise<NestSpineContext> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Nest is loaded only when a command boots an application
  const { NestFactory } = require('@nestjs/core') as typeof import('@nestjs/core');
  SpineService.workerByCaller = true;
  const app = await NestFactory.createApplicationContext(module as DynamicModule, {
    logger: options.logLevels === false ? false : [...(options.logLevels ?? ['error', 'warn', 'log'])],
    abortOnError: false,
  });
  let service: SpineService;
  try {
    service = app.get(SpineService, { strict: false });
  } catch {
    await app.close();
    throw new SpineError('invalid-argument', 'The Nest module has no SpineModule: import SpineModule.forRoot({ … }) (or forRootAsync) in it, or in a module it imports.');
  }
  return { spine: service.spine, close: () => app.close() };
}
