import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CliError } from './cli.error';
import { readTsConfig } from './tsconfig.reader';

type CompileModule = Module & { _compile(code: string, filename: string): void };
type ModuleLoader = (module: Module, filename: string) => void;
type ResolveFilename = (request: string, parent: Module | undefined, isMain: boolean, options?: unknown) => string;

/** The part of @swc/core the loader uses. */
interface Swc {
  transformSync(source: string, options: Record<string, unknown>): { code: string };
}

const TS_EXTENSIONS = ['.ts', '.cts', '.mts', '.tsx'] as const;
let registered = false;

/** Where @swc/core is: the project's own when it has one, else the one installed with this package; null when neither. */
function swcPackage(cwd: string): { readonly require: NodeJS.Require; readonly version: string } | null {
  for (const base of [join(cwd, 'package.json'), __filename]) {
    try {
      const from = createRequire(base);
      const { version } = from('@swc/core/package.json') as { version: string };
      return { require: from, version };
    } catch {
      // try the next place
    }
  }
  return null;
}

/** @swc/core, from where `swcPackage` found it. */
function loadSwc(cwd: string, found: ReturnType<typeof swcPackage>): Swc {
  if (found !== null) return found.require('@swc/core') as Swc;
  throw new CliError(
    `Loading a TypeScript config or workflow needs "@swc/core", which is not installed next to spine-orchestration or in ${cwd}. ` +
      'Run `npm install --save-dev @swc/core`, or write spine.config.js and point discovery at compiled .js files.',
  );
}

/** SWC's options for the project: legacy decorators with their `design:*` metadata, CommonJS, the tsconfig's `paths`. */
function swcOptions(cwd: string): (filename: string) => Record<string, unknown> {
  const tsconfig = readTsConfig(cwd);
  const options = tsconfig?.options ?? {};
  // the project's `paths` except those naming spine itself (this repository maps it to its
  // sources): the command line runs one copy of spine, and the project's modules must load that
  // same copy — a second one would not know its classes (a StepResult would read as plain output)
  const declared = options.paths as Record<string, string[]> | undefined;
  const kept = Object.entries(declared ?? {}).filter(([key]) => key !== 'spine-orchestration' && !key.startsWith('spine-orchestration/'));
  const paths = kept.length > 0 ? Object.fromEntries(kept) : undefined;
  const baseUrl = typeof options.baseUrl === 'string' ? resolve(tsconfig!.pathsBase, options.baseUrl) : tsconfig?.pathsBase;
  const target = typeof options.target === 'string' && /^es(20(1[5-9]|2[0-4])|next)$/i.test(options.target) ? options.target.toLowerCase() : 'es2022';
  return (filename) => ({
    filename,
    swcrc: false,
    configFile: false,
    sourceMaps: 'inline',
    module: { type: 'commonjs', strict: false, noInterop: false },
    jsc: {
      parser: { syntax: 'typescript', decorators: true, tsx: filename.endsWith('.tsx') },
      // decorators must record their design types (TypeORM columns, class-transformer, inversify)
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: options.useDefineForClassFields === true },
      target: target === 'esnext' ? 'es2022' : target,
      keepClassNames: true,
      ...(paths !== undefined && baseUrl !== undefined && { baseUrl, paths }),
    },
  });
}

/** `./x.js` written for nodenext/ESM resolution, when only `./x.ts` exists: the TypeScript source. */
function typescriptSource(request: string, parent: Module | undefined): string | null {
  if (parent?.filename == null || !/^\.{1,2}\//.test(request) || !/\.[cm]?js$/.test(request)) return null;
  const base = resolve(parent.filename, '..', request);
  if (existsSync(base)) return null;
  const source = base
    .replace(/\.js$/, '.ts')
    .replace(/\.mjs$/, '.mts')
    .replace(/\.cjs$/, '.cts');
  if (existsSync(source)) return source;
  const tsx = base.replace(/\.js$/, '.tsx');
  return existsSync(tsx) ? tsx : null;
}

/**
 * Compiled files kept between runs, so a second `spine …` neither compiles nor loads SWC:
 * `node_modules/.cache/spine-orchestration/` of the project (nothing is kept when the project has
 * no node_modules, or with SPINE_TS_CACHE=off). An entry is named by a hash of everything its
 * output depends on — the source, the file's path, SWC's options (the tsconfig's `paths`, target,
 * class fields) and SWC's version — so a change to any of them compiles again; entries are written
 * whole (a temporary file renamed), so a process never reads half of one.
 */
class CompileCache {
  constructor(private readonly dir: string | null) {}

  static for(cwd: string): CompileCache {
    const modules = join(cwd, 'node_modules');
    return new CompileCache(process.env.SPINE_TS_CACHE === 'off' || !existsSync(modules) ? null : join(modules, '.cache', 'spine-orchestration'));
  }

  key(...parts: readonly string[]): string {
    const hash = createHash('sha256');
    for (const part of parts) hash.update(part).update('\0');
    return hash.digest('hex');
  }

  read(key: string): string | null {
    if (this.dir === null) return null;
    try {
      return readFileSync(join(this.dir, `${key}.js`), 'utf8');
    } catch {
      return null;
    }
  }

  write(key: string, code: string): void {
    if (this.dir === null) return;
    const file = join(this.dir, `${key}.js`);
    const temporary = `${file}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(temporary, code);
      renameSync(temporary, file);
    } catch {
      // a read-only or full disk: compile again next time
    }
  }
}

/**
 * Lets `require` load TypeScript files (the config and the modules discovery imports), compiling
 * each with SWC: legacy decorators *and* their `design:*` metadata (which esbuild-based runners
 * drop), the project's tsconfig `paths`, CommonJS and ESM projects alike (a `.js` specifier finds
 * its `.ts` source); no type check and no `rootDir` (the project's `tsc` checks). The
 * `typescript` package is not used, so TypeScript 5, 6 and 7 projects load the same. Files under
 * node_modules are left to Node; SWC is loaded on the first TypeScript file the cache does not
 * have compiled already.
 */
export function registerTypeScript(cwd: string): void {
  if (registered) return;
  registered = true;
  const cache = CompileCache.for(cwd);
  let setup: { found: ReturnType<typeof swcPackage>; options: (filename: string) => Record<string, unknown> } | null = null;
  let swc: Swc | null = null;
  const internals = Module as unknown as { _extensions: Record<string, ModuleLoader>; _resolveFilename: ResolveFilename };
  const extensions = internals._extensions;
  const fallback = extensions['.js']!;
  for (const extension of TS_EXTENSIONS) {
    const previous = extensions[extension];
    extensions[extension] = (module, filename) => {
      if (filename.includes('/node_modules/')) return (previous ?? fallback)(module, filename);
      setup ??= { found: swcPackage(cwd), options: swcOptions(cwd) };
      const source = readFileSync(filename, 'utf8');
      const options = setup.options(filename);
      const key = cache.key(setup.found?.version ?? '', JSON.stringify(options), source);
      let code = cache.read(key);
      if (code === null) {
        swc ??= loadSwc(cwd, setup.found);
        try {
          code = swc.transformSync(source, options).code;
        } catch (error) {
          throw new CliError(`${filename} does not compile: ${error instanceof Error ? error.message : String(error)}`);
        }
        cache.write(key, code);
      }
      (module as CompileModule)._compile(code, filename);
    };
  }
  const resolveFilename = internals._resolveFilename;
  internals._resolveFilename = function (request, parent, isMain, options) {
    try {
      return resolveFilename.call(this, request, parent, isMain, options);
    } catch (error) {
      const source = typescriptSource(request, parent);
      if (source === null || isAbsolute(request)) throw error;
      return source;
    }
  };
}
