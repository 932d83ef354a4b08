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
  it("never uses the typescript package's API at run time (TypeScript 7 has none): the CLI compiles with SWC", () => {
    const offending = files(src).flatMap((file) => imports(file).filter((spec) => spec === 'typescript').map(() => relative(src, file)));
    expect(offending).toEqual([]);
  });

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

  it('keeps integrations in their own folders: Nest in src/nest, commander in src/cli, croner in src/schedule, jsep, yaml and ajv in src/declarative, OpenTelemetry in src/telemetry, and nothing else imports them', () => {
    const owners: Record<string, string> = { '@nestjs/': 'nest', commander: 'cli', croner: 'schedule', jsep: 'declarative', yaml: 'declarative', ajv: 'declarative', '@opentelemetry/': 'telemetry' };
    const offending = files(src).flatMap((file) =>
      imports(file)
        .filter((spec) => Object.entries(owners).some(([pkg, folder]) => (spec === pkg || spec.startsWith(pkg)) && !relative(src, file).startsWith(`${folder}/`)))
        .map((spec) => `${relative(src, file)} imports ${spec}`),
    );
    expect(offending).toEqual([]);
    const intoFrontEnds = files(src)
      .filter((file) => !/^(nest|cli)\//.test(relative(src, file)))
      .flatMap((file) => imports(file).filter((spec) => spec.startsWith('.') && /\/(nest|cli)(\/|$)/.test(join(relative(src, file), '..', spec).replace(/^/, '/'))).map((spec) => `${relative(src, file)} imports ${spec}`));
    expect(intoFrontEnds).toEqual([]);
  });
});
