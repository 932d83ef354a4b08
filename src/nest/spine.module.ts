import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { SPINE_MODULE_OPTIONS, type SpineModuleAsyncOptions, type SpineModuleOptions } from './spine-module.options';
import { SpineService } from './spine.service';

/**
 * Spine for a Nest application: `@Workflow` and `@Pipeline` classes are ordinary Nest providers
 * (constructor injection of Nest services, TypeORM repositories…), found through Nest's
 * discovery; `SpineService` runs and inspects workflows.
 */
@Module({})
export class SpineModule {
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
