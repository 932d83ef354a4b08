import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SpineOptions } from '../spine/spine.options';
import { CliError } from './cli.error';
import { registerTypeScript } from './typescript.hook';

/** The names a config file may have, looked for in this order. */
export const CONFIG_FILES = ['spine.config.ts', 'spine.config.mts', 'spine.config.cts', 'spine.config.js', 'spine.config.cjs', 'spine.config.mjs'];

/** A loaded config: where it came from and the `Spine.create` options it gave. */
export interface LoadedConfig {
  readonly file: string;
  readonly options: SpineOptions;
  /** `nest: { module }`: the Nest application `spine worker` boots to serve its workflows. */
  readonly nest?: { readonly module: unknown };
}

/** The config file: `--config` when given, else the first spine.config.* in `cwd` or a directory above it. */
export function findConfig(cwd: string, explicit: string | undefined): string {
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file)) throw new CliError(`The config file ${file} (from --config) does not exist.`);
    return file;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const found = CONFIG_FILES.map((name) => join(dir, name)).find((file) => existsSync(file));
    if (found !== undefined) return found;
    if (dirname(dir) === dir) break;
  }
  throw new CliError(
    `No spine config found in ${resolve(cwd)} or a directory above it. Create spine.config.ts:\n\n` +
      `  import { defineConfig } from 'spine-orchestration';\n` +
      `  export default defineConfig({ discover: ['src/**/*.workflow.ts', 'src/**/*.pipeline.ts'] });\n\n` +
      'or pass --config <file>. Runs are recorded in .spine/spine.db next to the config unless it sets `database`.',
  );
}

/**
 * Loads the config (TypeScript through the compiler, so decorator metadata is kept) and returns its
 * options with `cwd` defaulting to the config's directory. Recovery of other processes' runs is
 * off: a command-line invocation works on the runs it is asked about.
 */
export async function loadConfig(cwd: string, explicit: string | undefined): Promise<LoadedConfig> {
  const file = findConfig(cwd, explicit);
  const dir = dirname(file);
  // TypeScript configs and discovered .ts modules load through the compiler (loaded only if one is required)
  registerTypeScript(dir);
  let exported: unknown;
  try {
    exported = await importConfig(file);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`Loading ${file} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  let options: unknown = exported;
  if (typeof exported === 'function') {
    try {
      options = await (exported as () => unknown)();
    } catch (error) {
      throw new CliError(`The config function in ${file} threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new CliError(`${file} must export default the Spine options (an object, or a function returning one) — use defineConfig({ … }).`);
  }
  const { nest, ...spineOptions } = options as SpineOptions & { nest?: { module?: unknown } };
  if (nest !== undefined && (nest === null || typeof nest !== 'object' || nest.module === undefined)) {
    throw new CliError(`${file}: nest must be { module: AppModule } (the Nest module whose workflows spine worker serves).`);
  }
  return { file, options: { ...spineOptions, cwd: spineOptions.cwd ?? dir, recoverOnStart: false }, ...(nest !== undefined && { nest: { module: nest.module } }) };
}

async function importConfig(file: string): Promise<unknown> {
  let loaded: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the user's config, compiled on the fly by the TypeScript hook
    loaded = require(file) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw error;
    loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  }
  return 'default' in loaded ? loaded.default : loaded;
}
