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
    const offending = files(src).flatMap((file) =>
      imports(file)
        .filter((spec) => spec === 'typescript')
        .map(() => relative(src, file)),
    );
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
      .flatMap((file) =>
        imports(file)
          .filter((spec) => spec.startsWith('.') && /\/(nest|cli)(\/|$)/.test(join(relative(src, file), '..', spec).replace(/^/, '/')))
          .map((spec) => `${relative(src, file)} imports ${spec}`),
      );
    expect(intoFrontEnds).toEqual([]);
  });

  it('has no import cycle in src (type-only imports count too), but the allowed pair step-definition ↔ workflow-definition', () => {
    const allowed = new Set(['core/definition/step-definition.ts core/definition/workflow-definition.ts']);
    const graph = new Map<string, string[]>();
    const all = new Set(files(src));
    for (const file of all) {
      const targets = imports(file)
        .filter((spec) => spec.startsWith('.'))
        .map((spec) => join(file, '..', spec))
        .flatMap((base) => [`${base}.ts`, join(base, 'index.ts'), base].filter((candidate) => all.has(candidate)).slice(0, 1));
      graph.set(file, targets);
    }
    // Tarjan's strongly connected components: every component of more than one file is a cycle
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[] = [];
    let next = 0;
    const visit = (file: string): void => {
      index.set(file, next);
      low.set(file, next++);
      stack.push(file);
      onStack.add(file);
      for (const target of graph.get(file) ?? []) {
        if (!index.has(target)) {
          visit(target);
          low.set(file, Math.min(low.get(file)!, low.get(target)!));
        } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
      if (low.get(file) !== index.get(file)) return;
      const component: string[] = [];
      for (let member = stack.pop()!; ; member = stack.pop()!) {
        onStack.delete(member);
        component.push(relative(src, member));
        if (member === file) break;
      }
      const named = component.sort().join(' ');
      if (component.length > 1 && !allowed.has(named)) cycles.push(named);
    };
    for (const file of graph.keys()) if (!index.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  describe('store ports', () => {
    const portsDir = join(src, 'core', 'store', 'ports');
    const ports = files(portsDir).filter((file) => file.endsWith('.port.ts'));

    /** Each interface a port file declares, with its members (one per line at the interface's indentation). */
    function interfacesOf(file: string): { name: string; members: string[] }[] {
      const text = readFileSync(file, 'utf8').replace(/\/\*\*[\s\S]*?\*\//g, '');
      return [...text.matchAll(/^export interface (\w+)[^{]*\{\n([\s\S]*?)^\}/gm)].map((m) => ({
        name: m[1]!,
        members: [...m[2]!.matchAll(/^ {2}(?:readonly )?(\w+\??)[(:<]/gm)].map((member) => member[1]!),
      }));
    }

    it('are the seven capabilities and the wake-ups, each with at most 14 members', () => {
      const declared = ports.flatMap((file) => interfacesOf(file).map((i) => [i.name, i.members.length] as const));
      expect(declared.map(([name]) => name).sort()).toEqual(['DefinitionStore', 'RunHistory', 'RunJournal', 'RunLeases', 'RunQueue', 'ScheduleStore', 'SignalStore', 'Wakeups']);
      expect(declared.filter(([, count]) => count === 0 || count > 14)).toEqual([]);
    });

    it('declare no optional member: every store implements every member of the ports it offers', () => {
      const optional = ports.flatMap((file) => interfacesOf(file).flatMap((i) => i.members.filter((m) => m.endsWith('?')).map((m) => `${i.name}.${m}`)));
      expect(optional).toEqual([]);
    });

    it('are what the worker imports of the store: the queue, schedule and signal ports only', () => {
      const allowed = ['run-queue.port', 'schedule-store.port', 'signal-store.port'];
      const offending = files(join(src, 'worker')).flatMap((file) =>
        imports(file)
          .filter((spec) => /core\/store\/(ports|memory)\//.test(spec) && !allowed.some((port) => spec.endsWith(`/${port}`)))
          .map((spec) => `${relative(src, file)} imports ${spec}`),
      );
      expect(offending).toEqual([]);
    });

    it('are never imported by the console or the CLI: they go through Spine', () => {
      const offending = ['console', 'cli'].flatMap((folder) =>
        files(join(src, folder)).flatMap((file) =>
          imports(file)
            .filter((spec) => /core\/store\/(ports|memory)\/|persistence\/typeorm-run\.store/.test(spec))
            .map((spec) => `${relative(src, file)} imports ${spec}`),
        ),
      );
      expect(offending).toEqual([]);
    });
  });
});
