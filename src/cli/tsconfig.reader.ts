import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** A project's tsconfig as the CLI needs it: where it is and its compiler options (with `extends` followed). */
export interface TsConfig {
  readonly file: string;
  readonly options: Readonly<Record<string, unknown>>;
  /** The directory relative `baseUrl` / `paths` are read from (the config that set them). */
  readonly pathsBase: string;
  /** Why the file (or one it extends) could not be read, if so. */
  readonly unreadable?: string;
}

/** JSON with comments and trailing commas (tsconfig's dialect) as plain JSON; strings are left alone. */
export function withoutComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === ',' && /^\s*[}\]]/.test(text.slice(i + 1))) {
      // a trailing comma
    } else out += c;
  }
  return out;
}

/** Reads one tsconfig file and what it extends (relative paths and packages), later options over earlier. */
function readChain(file: string, depth = 0): { options: Record<string, unknown>; pathsBase: string } {
  const json = JSON.parse(withoutComments(readFileSync(file, 'utf8'))) as { compilerOptions?: Record<string, unknown>; extends?: string | string[] };
  let options: Record<string, unknown> = {};
  let pathsBase = dirname(file);
  const bases = json.extends === undefined ? [] : Array.isArray(json.extends) ? json.extends : [json.extends];
  for (const base of bases) {
    if (depth > 10) break;
    let path: string | null;
    if (base.startsWith('.') || isAbsolute(base)) path = resolve(dirname(file), base.endsWith('.json') ? base : `${base}.json`);
    else {
      try {
        path = createRequire(file).resolve(base.endsWith('.json') ? base : `${base}/tsconfig.json`);
      } catch {
        path = null; // a base we cannot find is left out (tsc would complain; we only read flags and paths)
      }
    }
    if (path === null || !existsSync(path)) continue;
    const inherited = readChain(path, depth + 1);
    options = { ...options, ...inherited.options };
    if (inherited.options.paths !== undefined || inherited.options.baseUrl !== undefined) pathsBase = inherited.pathsBase;
  }
  const own = json.compilerOptions ?? {};
  if (own.paths !== undefined || own.baseUrl !== undefined) pathsBase = dirname(file);
  return { options: { ...options, ...own }, pathsBase };
}

/** The nearest tsconfig.json from `dir` up (null when there is none); never the TypeScript API (TypeScript 7 has none). */
export function readTsConfig(dir: string): TsConfig | null {
  for (let at = dir; ; at = dirname(at)) {
    const file = join(at, 'tsconfig.json');
    if (existsSync(file)) {
      try {
        const { options, pathsBase } = readChain(file);
        return { file, options, pathsBase };
      } catch (error) {
        return { file, options: {}, pathsBase: at, unreadable: (error as Error).message };
      }
    }
    if (dirname(at) === at) return null;
  }
}
