import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HandlerRegistry, loadWorkflow, WorkflowDefinitionError } from 'spine-orchestration';

const dir = mkdtempSync(join(tmpdir(), 'spine-hostile-'));
const file = (name: string, content: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const handlers = new HandlerRegistry().handler('h.ok', () => ({ ok: true }));
const problemsOf = (path: string): readonly string[] => {
  try {
    loadWorkflow(path, { handlers });
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowDefinitionError);
    return (error as WorkflowDefinitionError).problems;
  }
  throw new Error('loaded without a problem');
};
const plain = (steps: string): string => `name: hostile.flow\nsteps:\n${steps}`;

describe('a workflow file at the door', () => {
  it('refuses an alias bomb with a clear problem naming the file, not a raw "Excessive alias count"', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const path = file('bomb.yaml', `${levels.join('\n')}\nname: bomb\nsteps: []\n`);
    const problems = problemsOf(path);
    expect(problems).toEqual([`${path}: its aliases (*name) expand to too much; at most 100 alias expansions are allowed (write the values out, or use fewer anchors)`]);
  });

  it('refuses an unknown tag with its line and column instead of reading it as a string', () => {
    const path = file('tag.yaml', plain('  - name: only\n    type: lambda\n    handler: !include /etc/passwd\n'));
    const problems = problemsOf(path);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBe(`${path}:5:14: the tag !include is not allowed; a workflow file uses plain YAML values only (no tags such as !include or !!binary)`);
  });

  it('refuses a core-schema-less tag such as !!binary too', () => {
    expect(problemsOf(file('binary.yaml', plain('  - name: only\n    type: lambda\n    handler: !!binary aGVsbG8=\n')))[0]).toMatch(/the tag !!binary is not allowed/);
  });

  it('refuses invalid UTF-8 naming the file, the line and the byte offset, instead of replacing it silently', () => {
    const text = Buffer.concat([Buffer.from(plain('  - name: only\n    type: lambda\n    handler: h.ok\n    description: caf')), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]);
    const offset = text.indexOf(0xc3);
    const path = file('latin.yaml', text);
    expect(problemsOf(path)).toEqual([`${path}:6: is not UTF-8: byte offset ${offset} (0xc3) starts no valid character; save the file as UTF-8`]);
  });

  it('reads a real U+FFFD and a byte-order mark as text', () => {
    const path = file('bom.yaml', `\uFEFF${plain('  - name: only\n    type: lambda\n    handler: h.ok\n    description: "\uFFFD ok"\n')}`);
    expect(loadWorkflow(path, { handlers }).steps[0]!.description).toBe('\uFFFD ok');
  });

  it('refuses a file over 1 MiB before parsing it', () => {
    const path = file('huge.yaml', plain(`  - name: only\n    type: lambda\n    handler: h.ok\n    description: "${'x'.repeat(1024 * 1024)}"\n`));
    expect(problemsOf(path)[0]).toMatch(/is \d+ bytes; a workflow file may have at most 1048576 \(1 MiB\)$/);
  });

  it('refuses a condition of 25,000 terms, naming the file and the step, instead of a raw RangeError', () => {
    const condition = Array(25_000).fill('params.a').join(' or ');
    const path = file('long.yaml', plain(`  - name: gate\n    type: choice\n    condition: "${condition}"\n    then_step: only\n  - name: only\n    type: lambda\n    handler: h.ok\n`));
    const problems = problemsOf(path);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(path);
    expect(problems[0]).toContain('the condition of step "gate"');
    expect(problems[0]).toContain('a condition may have at most 4096 characters');
  });

  it('refuses a condition nested too deeply within the length bound, naming the file and the step', () => {
    const condition = `${'not '.repeat(500)}params.a`;
    const chained = Array(200).fill('params.a').join(' + ');
    for (const [name, text] of [
      ['negations.yaml', condition],
      ['chain.yaml', chained],
    ] as const) {
      const path = file(name, plain(`  - name: gate\n    type: choice\n    condition: "${text} > 0"\n    then_step: only\n  - name: only\n    type: lambda\n    handler: h.ok\n`));
      const problems = problemsOf(path);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(path);
      expect(problems[0]).toContain('the condition of step "gate"');
      expect(problems[0]).toMatch(/nested too deeply/);
    }
  });
});
