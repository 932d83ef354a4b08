import type { ParamKind } from './param-conversion';

/**
 * One declared param of a workflow without a params class (YAML/JSON workflows, or
 * `Workflow.define({ params })`), in JSON Schema's words: its `type`, and optionally `required`,
 * `default`, `enum`, `description`, bounds (`minimum`, `maximum`, `minLength`, `maxLength`),
 * `pattern`, `format: 'date' | 'date-time'` for a date given as text, and `items: { type }` for a list.
 * Text is converted by the type (`convertParam`): `--param amount=500` is the number 500.
 */
export interface ParamSpec {
  readonly type: Exclude<ParamKind, 'date'>;
  readonly required?: boolean;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly description?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: 'date' | 'date-time';
  readonly items?: { readonly type: Exclude<ParamKind, 'date'> };
}

/** A workflow's declared params, by name. */
export type ParamsSpec = Readonly<Record<string, ParamSpec>>;

const TYPES = new Set(['string', 'boolean', 'number', 'integer', 'array', 'object']);
const KEYS = new Set(['type', 'required', 'default', 'enum', 'description', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'format', 'items']);

/** What is wrong with a params declaration (empty when nothing), each naming the param. */
export function paramsSpecProblems(spec: unknown): string[] {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return ['params must be an object of param declarations ({ amount: { type: "number", required: true } })'];
  const problems: string[] = [];
  for (const [name, declared] of Object.entries(spec as Record<string, unknown>)) {
    const at = `param "${name}"`;
    if (declared === null || typeof declared !== 'object' || Array.isArray(declared)) {
      problems.push(`${at} must be an object like { type: "string" }`);
      continue;
    }
    const p = declared as Record<string, unknown>;
    for (const key of Object.keys(p)) if (!KEYS.has(key)) problems.push(`${at}: unknown field "${key}" (a param has: ${[...KEYS].join(', ')})`);
    if (!TYPES.has(String(p.type))) problems.push(`${at}: type must be one of ${[...TYPES].join(', ')} (got ${JSON.stringify(p.type)})`);
    if (p.required !== undefined && typeof p.required !== 'boolean') problems.push(`${at}: required must be true or false`);
    if (p.enum !== undefined && !(Array.isArray(p.enum) && p.enum.length > 0)) problems.push(`${at}: enum must be a non-empty list`);
    for (const bound of ['minimum', 'maximum', 'minLength', 'maxLength'] as const) {
      if (p[bound] !== undefined && !(typeof p[bound] === 'number' && Number.isFinite(p[bound]))) problems.push(`${at}: ${bound} must be a number`);
    }
    if (p.pattern !== undefined) {
      try {
        new RegExp(String(p.pattern), 'u');
      } catch (error) {
        problems.push(`${at}: pattern is not a regular expression: ${(error as Error).message}`);
      }
    }
    if (p.format !== undefined && p.format !== 'date' && p.format !== 'date-time') problems.push(`${at}: format must be "date" or "date-time"`);
    if (p.items !== undefined && !(typeof p.items === 'object' && p.items !== null && TYPES.has(String((p.items as Record<string, unknown>).type)))) {
      problems.push(`${at}: items must be { type: … } with one of ${[...TYPES].join(', ')}`);
    }
  }
  return problems;
}
