import type { SpineOptions } from './spine.options';

/**
 * What a `spine.config.ts` exports by default: the `Spine.create` options the `spine` command line
 * starts with (discovery globs, database, container…), or a function that builds them. Relative
 * paths (`discover`, a SQLite file) are taken from the config file's directory unless `cwd` is set.
 */
export type SpineConfig = SpineConfigOptions | (() => SpineConfigOptions | Promise<SpineConfigOptions>);

/**
 * The options of a config: `Spine.create`'s, and `nest: { module: AppModule }` — a Nest
 * application whose workflows `spine worker` serves with Nest's injection (its SpineModule's
 * database and options; the worker's queues from the command line).
 */
export type SpineConfigOptions = SpineOptions & { readonly nest?: { readonly module: unknown } };

/** Types a `spine.config.ts`: `export default defineConfig({ discover: ['src/**\/*.workflow.ts'] })`. */
export function defineConfig<T extends SpineConfig>(config: T): T {
  return config;
}
