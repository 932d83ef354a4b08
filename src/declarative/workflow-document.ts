import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Document, Node as YamlNode } from 'yaml';

export { isWorkflowFile, WORKFLOW_FILE_EXTENSIONS } from './workflow-files';

// yaml and ajv load on first use: an application without declarative workflows never pays for them
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = (): typeof import('yaml') => require('yaml') as typeof import('yaml');

/** A workflow as a YAML or JSON file writes it (snake_case keys, the design's spellings); checked against the JSON Schema. */
export type WorkflowDocument = Readonly<Record<string, unknown>> & { readonly name: string; readonly steps: readonly Readonly<Record<string, unknown>>[] };

/** A parsed file: its document, or every problem found, each naming file, line and column. */
export interface ParsedWorkflow {
  readonly document: WorkflowDocument | null;
  readonly problems: readonly string[];
  /** "file:line:col" of a path in the document (the file alone when the path is not found). */
  locate(path: readonly (string | number)[]): string;
}

/** Where the published JSON Schema is (shipped in the package: `spine-orchestration/schema/workflow.schema.json`). */
export const WORKFLOW_SCHEMA_FILE = join(__dirname, '..', '..', 'schema', 'workflow.schema.json');

let validator: ValidateFunction | null = null;

/** The build's validator of the schema (scripts/schema-validator.cjs), when it exists and was made from this schema. */
function prebuiltValidator(schemaText: string): ValidateFunction | null {
  let built: ValidateFunction & { schemaSha256?: string };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    built = require('./workflow-schema.validator.js') as ValidateFunction & { schemaSha256?: string };
  } catch {
    return null; // running from the sources (tests): no build output here
  }
  return built.schemaSha256 === createHash('sha256').update(schemaText).digest('hex') ? built : null;
}

/**
 * The schema's validator (ajv: a maintained JSON Schema implementation; it compiles our own
 * schema, never user input): the one the build generated, else compiled once here.
 */
function schemaValidator(): ValidateFunction {
  if (validator === null) {
    const text = readFileSync(WORKFLOW_SCHEMA_FILE, 'utf8');
    validator = prebuiltValidator(text);
    if (validator === null) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { default: Ajv } = require('ajv') as typeof import('ajv');
      // the same options as scripts/schema-validator.cjs
      validator = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(text) as Record<string, unknown>);
    }
  }
  return validator;
}

/** The largest workflow document read (a workflow is a few KiB; this bounds what a bad file can cost). */
export const MAX_WORKFLOW_BYTES = 1024 * 1024;
/** The most YAML aliases (`*anchor`) one document may expand (a "billion laughs" file expands exponentially). */
export const MAX_YAML_ALIASES = 100;

/** The tags of JSON's own types: the only explicit tags a workflow file may carry. */
const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

/** The byte offset of the first byte that is not UTF-8 (null when all of it is). */
function firstInvalidUtf8(bytes: Buffer): number | null {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return null;
  } catch {
    // a lenient decode replaces each bad sequence with U+FFFD; the first one whose bytes are not a real U+FFFD is it
    const text = bytes.toString('utf8');
    for (let at = text.indexOf('\uFFFD'); at >= 0; at = text.indexOf('\uFFFD', at + 1)) {
      const offset = Buffer.byteLength(text.slice(0, at), 'utf8');
      if (!(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) return offset;
    }
    return 0;
  }
}

/** Reads and checks a workflow file (YAML or JSON, by extension): at most 1 MiB of UTF-8. */
export function readWorkflowFile(file: string): ParsedWorkflow {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    return { document: null, problems: [`${file}: cannot be read (${(error as Error).message})`], locate: () => file };
  }
  if (bytes.length > MAX_WORKFLOW_BYTES) {
    return { document: null, problems: [`${file}: is ${bytes.length} bytes; a workflow file may have at most ${MAX_WORKFLOW_BYTES} (1 MiB)`], locate: () => file };
  }
  const invalid = firstInvalidUtf8(bytes);
  if (invalid !== null) {
    const line = bytes.subarray(0, invalid).toString('utf8').split('\n').length;
    return {
      document: null,
      problems: [`${file}:${line}: is not UTF-8: byte offset ${invalid} (0x${bytes[invalid]?.toString(16).padStart(2, '0') ?? '??'}) starts no valid character; save the file as UTF-8`],
      locate: () => file,
    };
  }
  return parseWorkflowText(bytes.toString('utf8').replace(/^\uFEFF/, ''), file);
}

/**
 * Parses a workflow's text (YAML; JSON is YAML too) and checks it against the JSON Schema.
 * Problems name the place: `weekly.yaml:14:5: steps[3]: unknown field "then" …`.
 */
export function parseWorkflowText(text: string, source: string): ParsedWorkflow {
  const { LineCounter, parseDocument } = yaml();
  if (text.length > MAX_WORKFLOW_BYTES) {
    return { document: null, problems: [`${source}: is ${text.length} characters; a workflow document may have at most ${MAX_WORKFLOW_BYTES} (1 MiB)`], locate: () => source };
  }
  const lines = new LineCounter();
  // the core schema only (JSON's types, plain YAML scalars): no !!binary, !!set, !!timestamp or custom tags
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, schema: 'core', customTags: [], merge: false });
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return source;
    const { line, col } = lines.linePos(offset);
    return `${source}:${line}:${col}`;
  };
  const locate = (path: readonly (string | number)[]): string => at(nodeAt(doc, path)?.range?.[0]);
  // an unknown field is shown at its key (the value may be far below)
  const locateKey = (path: readonly (string | number)[]): string => at(keyAt(doc, path)?.range?.[0] ?? nodeAt(doc, path.slice(0, -1))?.range?.[0]);
  if (doc.errors.length > 0) {
    return { document: null, problems: doc.errors.map((e) => `${at(e.pos[0])}: ${e.message.split('\n')[0]}`), locate };
  }
  // any explicit tag beyond JSON's types (`!include /etc/passwd`, `!!binary`, `!!js/function`) is refused, never read as a string
  const refuse = (where: string, tag: string): string =>
    `${where}: the tag ${tag.replace(/^tag:yaml\.org,2002:/, '!!')} is not allowed; a workflow file uses plain YAML values only (no tags such as !include or !!binary)`;
  const tagged: string[] = [];
  const lineOf = (offset: number | undefined): number => (offset === undefined ? 0 : lines.linePos(offset).line);
  const unresolved = doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED');
  for (const w of unresolved) tagged.push(refuse(at(w.pos[0]), /tag: (\S+)/.exec(w.message)?.[1] ?? 'used here'));
  const { visit, isNode } = yaml();
  visit(doc, (_key, node) => {
    if (!isNode(node) || node.tag === undefined || CORE_TAGS.has(node.tag)) return;
    if (unresolved.some((w) => lineOf(w.pos[0]) === lineOf(node.range?.[0]))) return;
    tagged.push(refuse(at(node.range?.[0]), node.tag));
  });
  if (tagged.length > 0) return { document: null, problems: tagged, locate };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    const message = (error as Error).message;
    const problem = /alias/i.test(message)
      ? `${source}: its aliases (*name) expand to too much; at most ${MAX_YAML_ALIASES} alias expansions are allowed (write the values out, or use fewer anchors)`
      : `${source}: cannot be read as YAML: ${message.split('\n')[0]}`;
    return { document: null, problems: [problem], locate };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { document: null, problems: [`${source}: a workflow file holds one object (name, steps, …); found ${Array.isArray(value) ? 'a list' : String(value)}`], locate };
  }
  const problems = schemaProblems(value, locate, locateKey);
  return { document: problems.length === 0 ? (value as WorkflowDocument) : null, problems, locate };
}

/** Checks a document (parsed already, or given in code) against the JSON Schema. */
export function schemaProblems(value: unknown, locate: (path: readonly (string | number)[]) => string, locateKey = locate): string[] {
  const validate = schemaValidator();
  if (validate(value)) return [];
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const error of validate.errors ?? []) {
    const message = describeError(error, value);
    if (message === null) continue;
    const path = pointerPath(error.instancePath);
    const where = error.keyword === 'additionalProperties' ? locateKey([...path, String((error.params as { additionalProperty?: unknown }).additionalProperty)]) : locate(path);
    const line = `${where}: ${pathText(path)}${message}`;
    if (!seen.has(line)) {
      seen.add(line);
      problems.push(line);
    }
  }
  return problems;
}

/** The steps' fields by type, for "unknown field" messages. */
const STEP_FIELDS: Readonly<Record<string, string>> = {
  pipeline: 'pipeline, params',
  lambda: 'handler, config',
  choice: 'condition, then_step, else_step',
  wait: 'seconds, duration_path or signal',
  map: 'iterator, items or items_path, item_param, index_param, max_concurrency, on_item_error, tolerated_failure_count, tolerated_failure_percentage, distribute',
};

function describeError(error: ErrorObject, root: unknown): string | null {
  // the branches of a step's type report through their own keywords; the wrappers add nothing
  if (error.keyword === 'if' || error.keyword === 'allOf') return null;
  // the alternatives of a oneOf report once, through the oneOf
  if (error.schemaPath.includes('/oneOf/')) return null;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const step = stepOf(error.instancePath, root);
      if (field === 'duration_seconds' && step?.type === 'wait') return 'unknown field "duration_seconds" (the design\'s spelling): write "seconds"';
      const type = typeof step?.type === 'string' ? step.type : null;
      const hint = type !== null && STEP_FIELDS[type] !== undefined ? ` (a ${type} step has: name, type, ${STEP_FIELDS[type]}, and the common step fields)` : '';
      return `unknown field "${field}"${hint}`;
    }
    case 'required':
      return `needs "${String(params.missingProperty)}"`;
    case 'oneOf': {
      const step = stepOf(error.instancePath, root);
      if (step?.type === 'wait') return 'needs exactly one of "seconds", "duration_path" or "signal"';
      if (step?.type === 'map') return 'needs exactly one of "items" or "items_path"';
      return error.message ?? 'does not match the schema';
    }
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return error.message ?? 'does not match the schema';
  }
}

function stepOf(pointer: string, root: unknown): Record<string, unknown> | null {
  const match = /^\/steps\/(\d+)/.exec(pointer);
  const steps = (root as { steps?: unknown }).steps;
  if (match === null || !Array.isArray(steps)) return null;
  const step: unknown = steps[Number(match[1])];
  return step !== null && typeof step === 'object' ? (step as Record<string, unknown>) : null;
}

function pointerPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** `steps[3].retry.max_attempts: ` (empty for the document itself). */
export function pathText(path: readonly (string | number)[]): string {
  if (path.length === 0) return '';
  let text = '';
  for (const part of path) text += typeof part === 'number' ? `[${part}]` : text === '' ? part : `.${part}`;
  return `${text}: `;
}

function nodeAt(doc: Document, path: readonly (string | number)[]): YamlNode | null {
  const { isMap, isScalar, isSeq } = yaml();
  let node: unknown = doc.contents;
  for (const part of path) {
    if (isMap(node)) node = node.get(part, true);
    else if (isSeq(node)) node = node.get(Number(part), true);
    else return isScalar(node) ? node : null;
  }
  return (node as YamlNode | undefined) ?? null;
}

/** The key node of the last part of `path` in a map (for problems about a field itself). */
function keyAt(doc: Document, path: readonly (string | number)[]): YamlNode | null {
  const { isMap, isScalar } = yaml();
  const parent = nodeAt(doc, path.slice(0, -1));
  if (!isMap(parent)) return null;
  const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path[path.length - 1]);
  return (pair?.key as YamlNode | undefined) ?? null;
}
