import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { NestAppModule, NestSpineContext } from '../nest/nest-context';
import { CliError } from './cli.error';
import { registerTypeScript } from './typescript.hook';

/** `--nest src/app.module.ts#AppModule`: the file and the export (default AppModule). */
export function parseNestTarget(value: string): { readonly file: string; readonly exportName: string } {
  const at = value.lastIndexOf('#');
  const file = at < 0 ? value : value.slice(0, at);
  const exportName = at < 0 ? 'AppModule' : value.slice(at + 1);
  if (file.trim() === '' || !/^[A-Za-z_$][\w$]*$/.test(exportName)) {
    throw new CliError(`--nest "${value}" must be <file>#<export>, such as src/app.module.ts#AppModule (the export defaults to AppModule).`);
  }
  return { file, exportName };
}

/** Loads the application's module (TypeScript through the same compiler as configs) and boots it as a Nest application context. */
export async function bootNestApp(cwd: string, target: string | NestAppModule): Promise<NestSpineContext> {
  const module = typeof target === 'string' ? await loadNestModule(cwd, target) : target;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Nest is loaded only for --nest
  const nest = require('../nest') as typeof import('../nest');
  try {
    return await nest.bootNestContext(module);
  } catch (error) {
    throw new CliError(`The Nest application did not start: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function loadNestModule(cwd: string, value: string): Promise<NestAppModule> {
  const { file, exportName } = parseNestTarget(value);
  const path = resolve(cwd, file);
  registerTypeScript(cwd);
  let loaded: Record<string, unknown>;
  try {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the application's module, compiled on the fly like a config
      loaded = require(path) as Record<string, unknown>;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw error;
      loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    }
  } catch (error) {
    throw new CliError(`--nest: loading ${path} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const exported = loaded[exportName];
  const isModule = typeof exported === 'function' || (exported !== null && typeof exported === 'object' && 'module' in exported);
  if (!isModule) {
    const names = Object.keys(loaded).filter((name) => name !== '__esModule');
    throw new CliError(`--nest: ${path} exports no Nest module "${exportName}" (it exports: ${names.join(', ') || 'nothing'}); name it after #, e.g. ${file}#${names[0] ?? 'AppModule'}.`);
  }
  return exported as NestAppModule;
}
