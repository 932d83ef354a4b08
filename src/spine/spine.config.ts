import type { SpineOptions } from './spine.options';

/**
 * What a `spine.config.ts` exports by default: the `Spine.create` options the `spine` command line
 * starts with (discovery globs, database, container…), or a function that builds them. Relative
 * paths (`discover`, a SQLite file) are taken from the config file's directory unless `cwd` is set.
 */
export type SpineConfig = SpineOptions | (() => SpineOptions | Promise<SpineOptions>);

/** Types a `spine.config.ts`: `export default defineConfig({ discover: ['src/**\/*.workflow.ts'] })`. */
export function defineConfig<T extends SpineConfig>(config: T): T {
  return config;
}
