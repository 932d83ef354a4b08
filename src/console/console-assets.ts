import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A file the console serves under `assets/`. */
export interface ConsoleAsset {
  readonly body: Buffer;
  readonly type: string;
}

/** The console's own files: `console-ui/` of the package (beside `dist/` and `src/`). */
const UI_DIR = join(__dirname, '..', '..', 'console-ui');

/**
 * Where each served file comes from: the console's own script and styles, and the libraries it
 * draws with (uPlot for charts, dagre for graph layout), read from their installed packages:
 * nothing is fetched from a network at run time, and nothing needs a build step.
 */
const SOURCES: Readonly<Record<string, { readonly file: () => string; readonly type: string }>> = {
  'app.js': { file: () => join(UI_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  'app.css': { file: () => join(UI_DIR, 'app.css'), type: 'text/css; charset=utf-8' },
  'uplot.js': { file: () => packageFile('uplot', 'dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { file: () => packageFile('uplot', 'dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'dagre.js': { file: () => packageFile('@dagrejs/dagre', 'dist/dagre.min.js'), type: 'text/javascript; charset=utf-8' },
};

/** A file of an installed package (through its package.json: packages with `exports` hide their dist files from require.resolve). */
function packageFile(name: string, file: string): string {
  return join(dirname(require.resolve(`${name}/package.json`)), file);
}

const cache = new Map<string, ConsoleAsset>();

/** The asset by name (read once), or null when the console has no such file. */
export function consoleAsset(name: string): ConsoleAsset | null {
  // own properties only: `constructor`, `__proto__` or `toString` are not files
  if (!Object.hasOwn(SOURCES, name)) return null;
  const source = SOURCES[name]!;
  let asset = cache.get(name);
  if (asset === undefined) {
    asset = { body: readFileSync(source.file()), type: source.type };
    cache.set(name, asset);
  }
  return asset;
}
