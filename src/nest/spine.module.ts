import { Inject, Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createConsoleHandler, type ConsoleHandler } from '../console/console-handler';
import { DiscoveryModule } from '@nestjs/core';
import { SPINE_MODULE_OPTIONS, type SpineModuleAsyncOptions, type SpineModuleOptions } from './spine-module.options';
import { SpineService } from './spine.service';

/**
 * Spine for a Nest application: `@Workflow` and `@Pipeline` classes are ordinary Nest providers
 * (constructor injection of Nest services, TypeORM repositories…), found through Nest's
 * discovery; `SpineService` runs and inspects workflows.
 */
@Module({})
export class SpineModule implements NestModule {
  constructor(
    @Inject(SPINE_MODULE_OPTIONS) private readonly options: SpineModuleOptions,
    @Inject(SpineService) private readonly service: SpineService,
  ) {}

  /** Mounts the console when the options ask for it (`console: { path }`). */
  configure(consumer: MiddlewareConsumer): void {
    const mount = this.options.console;
    if (mount === undefined) return;
    const path = `/${(mount.path ?? '/spine').replace(/^\/+|\/+$/g, '')}`;
    let handler: ConsoleHandler | null = null;
    // made on the first request: Spine starts in onModuleInit, after middleware is configured
    const serve = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
      handler ??= createConsoleHandler(this.service.spine, { ...mount, basePath: path });
      handler(req, res, next);
    };
    consumer.apply(serve).forRoutes(path, `${path}/*path`);
  }

  /** With options known up front. */
  static forRoot(options: SpineModuleOptions = {}): DynamicModule {
    return {
      module: SpineModule,
      global: options.global ?? false,
      imports: [DiscoveryModule],
      providers: [{ provide: SPINE_MODULE_OPTIONS, useValue: options }, SpineService],
      exports: [SpineService],
    };
  }

  /** With options from a factory (`inject` its dependencies, `imports` the modules providing them). */
  static forRootAsync(options: SpineModuleAsyncOptions): DynamicModule {
    return {
      module: SpineModule,
      global: options.global ?? false,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [{ provide: SPINE_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }, SpineService],
      exports: [SpineService],
    };
  }
}
