import type { ModuleMetadata } from '@nestjs/common';
import type { SpineOptions } from '../spine/spine.options';
import type { ConsoleOptions } from '../console/console-handler';

/** Injection token of the options `SpineModule.forRoot` / `forRootAsync` was given. */
export const SPINE_MODULE_OPTIONS = Symbol.for('spine-orchestration:nest-module-options');

/**
 * The options of `SpineModule`: those of `Spine.create` (database, lease, recovery, events…)
 * except how classes are found — Nest's providers are — plus Nest's own.
 */
export interface SpineModuleOptions extends Omit<SpineOptions, 'container' | 'classProvider' | 'discover'> {
  /** Register the module globally, so every module can inject `SpineService`. */
  readonly global?: boolean;
  /**
   * How long `beforeApplicationShutdown` waits for running steps before closing (default 30 s);
   * the runs are then handed off, their leases released for another instance.
   */
  readonly shutdownTimeoutMs?: number;
  /**
   * Globs of YAML/JSON workflow definition files (relative to `cwd`): `['workflows/*.yaml']`.
   * Their lambda handlers are the providers with `@Handler` methods (classes come from Nest's
   * module graph, not from globs).
   */
  readonly workflowFiles?: readonly string[];
  /**
   * Mounts the web console in the application at `path` (default '/spine'), e.g.
   * `{ console: { path: '/spine', readOnly: true } }`. The token defaults to
   * `SPINE_CONSOLE_TOKEN`; without one only loopback clients are answered.
   */
  readonly console?: SpineConsoleMount;
}

/** Where and how `SpineModule` mounts the console. */
export interface SpineConsoleMount extends Omit<ConsoleOptions, 'basePath'> {
  readonly path?: string;
}

/** `SpineModule.forRootAsync`: options from a factory with injected dependencies (a config service, TypeORM's DataSource). */
export interface SpineModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  readonly global?: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly useFactory: (...args: any[]) => SpineModuleOptions | Promise<SpineModuleOptions>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly inject?: any[];
}
