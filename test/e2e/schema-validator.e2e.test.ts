import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

/**
 * The build compiles schema/workflow.schema.json into dist/declarative/workflow-schema.validator.js
 * (scripts/schema-validator.cjs), so loading a YAML workflow does not compile the schema on every
 * start. It must judge documents exactly as the schema compiled at run time does, and say which
 * schema it was made from.
 */
const root = join(__dirname, '..', '..');
const schemaText = readFileSync(join(root, 'schema', 'workflow.schema.json'), 'utf8');

describe('the build’s workflow schema validator', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built validator, as the package ships it
  const built = require(join(root, 'dist', 'declarative', 'workflow-schema.validator.js')) as ValidateFunction & { schemaSha256: string };
  const compiled = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(schemaText) as object);

  it('was made from the schema in the repository', () => {
    expect(built.schemaSha256).toBe(createHash('sha256').update(schemaText).digest('hex'));
  });

  it('gives the same verdict and the same errors as the schema compiled at run time', () => {
    const example = parse(readFileSync(join(root, 'examples', 'finra-otc', 'workflows', 'weekly-refresh.yaml'), 'utf8')) as Record<string, unknown>;
    const steps = example.steps as Record<string, unknown>[];
    const documents: unknown[] = [
      example,
      { ...example, name: 42 },
      { ...example, steps: [{ ...steps[0], then: 'x' }, ...steps.slice(1)] },
      { ...example, steps: [{ name: 'w', type: 'wait' }] },
      { name: 'only.a.name' },
      [],
      { ...example, on_error: 'explode', timeout: -1 },
    ];
    for (const document of documents) {
      const verdict = built(document);
      expect(verdict).toBe(compiled(document));
      expect(built.errors ?? null).toEqual(compiled.errors ?? null);
    }
    expect(built(example)).toBe(true);
    expect(built({ name: 'only.a.name' })).toBe(false);
  });
});
