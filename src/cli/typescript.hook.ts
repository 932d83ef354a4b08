import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as TypeScript from 'typescript';
import { CliError } from './cli.error';

type CompileModule = Module & { _compile(code: string, filename: string): void };
type ModuleLoader = (module: Module, filename: string) => void;

const TS_EXTENSIONS = ['.ts', '.cts', '.mts'] as const;
let registered = false;

/** Loads the project's own `typescript` (from `cwd`), else the one next to this package. */
function loadTypeScript(cwd: string): typeof TypeScript {
  for (const base of [join(cwd, 'package.json'), __filename]) {
    try {
      return createRequire(base)('typescript') as typeof TypeScript;
    } catch {
      // try the next place
    }
  }
  throw new CliError(
    `Loading a TypeScript config or workflow needs the "typescript" package, which is not installed in ${cwd}. ` +
      'Run `npm install --save-dev typescript`, or write spine.config.js and point discovery at compiled .js files.',
  );
}

/** The project's compiler options (its tsconfig.json), with what running from source needs. */
function compilerOptions(ts: typeof TypeScript, cwd: string): TypeScript.CompilerOptions {
  const file = ts.findConfigFile(cwd, (path) => ts.sys.fileExists(path));
  let options: TypeScript.CompilerOptions = {};
  if (file !== undefined) {
    const read = ts.readConfigFile(file, (path) => ts.sys.readFile(path));
    if (read.config !== undefined) options = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(file)).options;
  }
  return {
    ...options,
    // decorators must record their design types (TypeORM columns, class-transformer, inversify)
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: options.target ?? ts.ScriptTarget.ES2022,
    esModuleInterop: true,
    inlineSourceMap: true,
    sourceMap: false,
    declaration: false,
    noEmit: false,
    isolatedModules: false,
    verbatimModuleSyntax: false,
  };
}

/**
 * Lets `require` load TypeScript files (the config and the modules discovery imports) by
 * transpiling each one with the TypeScript compiler. Unlike esbuild-based runners it emits the
 * `design:*` metadata decorators rely on. Files under node_modules are left to Node. The compiler
 * is loaded on the first TypeScript file required, so a JavaScript-only project never needs it.
 */
export function registerTypeScript(cwd: string): void {
  if (registered) return;
  registered = true;
  let compiler: { ts: typeof TypeScript; options: TypeScript.CompilerOptions } | null = null;
  const extensions = (Module as unknown as { _extensions: Record<string, ModuleLoader> })._extensions;
  const fallback = extensions['.js']!;
  for (const extension of TS_EXTENSIONS) {
    const previous = extensions[extension];
    extensions[extension] = (module, filename) => {
      if (filename.includes('/node_modules/')) return (previous ?? fallback)(module, filename);
      if (compiler === null) {
        const ts = loadTypeScript(cwd);
        compiler = { ts, options: compilerOptions(ts, cwd) };
      }
      const { ts, options } = compiler;
      const source = readFileSync(filename, 'utf8');
      const { outputText, diagnostics } = ts.transpileModule(source, { compilerOptions: options, fileName: filename, reportDiagnostics: true });
      const errors = (diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
      if (errors.length > 0) {
        throw new CliError(`${filename} does not compile: ${errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')).join('; ')}`);
      }
      (module as CompileModule)._compile(outputText, filename);
    };
  }
}
