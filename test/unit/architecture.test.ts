import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const src = join(__dirname, '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const statements = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm)];
  const bare = [...text.matchAll(/^import\s*['"]([^'"]+)['"]/gm)];
  const dynamic = [...text.matchAll(/\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g)];
  return [...statements, ...bare, ...dynamic].map((m) => m[1]!);
}

describe('architecture', () => {
  it('keeps src/core free of anything but relative imports and Node built-ins', () => {
    const offending = files(join(src, 'core')).flatMap((file) =>
      imports(file)
        .filter((spec) => !spec.startsWith('.') && !spec.startsWith('node:'))
        .map((spec) => `${relative(src, file)} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it('never lets src/core import an adapter folder', () => {
    const offending = files(join(src, 'core')).flatMap((file) =>
      imports(file)
        .filter((spec) => spec.startsWith('.') && !join(file, '..', spec).startsWith(join(src, 'core')))
        .map((spec) => `${relative(src, file)} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });
});
