import jsepModule from 'jsep';

type Jsep = typeof jsepModule;
type Node = ReturnType<Jsep>;

// jsep's operators are set on its module: the design's words for the logical operators, and `in`
const jsep: Jsep = ((jsepModule as unknown as { default?: Jsep }).default ?? jsepModule) as Jsep;
jsep.addBinaryOp('or', 1);
jsep.addBinaryOp('and', 2);
jsep.addBinaryOp('in', 7);
jsep.addUnaryOp('not');

/** What a condition can see: the run's params, the steps' outputs and the run's metadata. */
export interface ExpressionScope {
  readonly params: Readonly<Record<string, unknown>>;
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** A condition that cannot be parsed or uses what the language does not have; `position` is 0-based in the source. */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  /** A choice whose condition fails to evaluate fails with VALIDATION (not retried by default). */
  readonly category = 'VALIDATION';
  constructor(
    message: string,
    readonly source: string,
    readonly position: number,
  ) {
    super(`${message} at character ${position + 1} of "${source}"`);
  }
}

/** A compiled condition: evaluates against a scope; `references` lists the outputs it reads (step names). */
export interface CompiledExpression {
  readonly source: string;
  readonly outputSteps: readonly string[];
  evaluate(scope: ExpressionScope): unknown;
}

const ROOTS = new Set(['params', 'outputs', 'metadata']);
const BINARY = new Set(['==', '!=', '===', '!==', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', 'and', 'or', '&&', '||', 'in']);
const UNARY = new Set(['not', '!', '-', '+']);
/** Names that would reach past plain data. */
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * Parses a choice condition (the design's `"not skip_rolling"`, `"outputs.validate.validRate >=
 * 0.99 and params.tier == 'OTC'"`) with jsep and checks every node against what the language has:
 * literals, arrays, names (a bare name is a param; `params.x`, `outputs.<step>.<key>`,
 * `metadata.x`), member access by name or literal index, `not`/`!`, unary minus, arithmetic,
 * comparisons, `in`, `and`/`or` (`&&`/`||`) and `a ? b : c`. No function calls, no `this`, no
 * assignment: it is evaluated by walking the tree, never by `eval` or `new Function`.
 */
export function compileExpression(source: string): CompiledExpression {
  if (source.length > MAX_EXPRESSION_CHARS) {
    throw new ExpressionError(
      `a condition may have at most ${MAX_EXPRESSION_CHARS} characters (this one has ${source.length}); compute it in a lambda step and test its output`,
      source.slice(0, 40) + '…',
      0,
    );
  }
  let tree: Node;
  try {
    tree = jsep(source);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new ExpressionError(`the condition is nested too deeply (at most ${MAX_EXPRESSION_DEPTH} levels)`, source.length > 80 ? `${source.slice(0, 80)}…` : source, 0);
    }
    const index = (error as { index?: unknown }).index;
    const description = (error as { description?: unknown }).description;
    throw new ExpressionError(typeof description === 'string' ? description : String((error as Error).message), source, typeof index === 'number' ? index : 0);
  }
  const outputSteps = new Set<string>();
  const depth = depthOf(tree);
  if (depth > MAX_EXPRESSION_DEPTH) {
    throw new ExpressionError(`the condition is nested too deeply (${depth} levels; at most ${MAX_EXPRESSION_DEPTH})`, source.length > 80 ? `${source.slice(0, 80)}…` : source, 0);
  }
  check(tree, source, outputSteps);
  return {
    source,
    outputSteps: [...outputSteps],
    evaluate: (scope) => evaluate(tree, scope, source),
  };
}

/** The longest condition compiled, and the deepest tree (evaluation walks it recursively). */
export const MAX_EXPRESSION_CHARS = 4_096;
export const MAX_EXPRESSION_DEPTH = 64;

/** How deep a parsed tree is, counted without recursion. */
function depthOf(root: Node): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[root, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const item of node) pending.push([item, depth]);
      continue;
    }
    deepest = Math.max(deepest, depth);
    for (const key of ['object', 'property', 'argument', 'left', 'right', 'test', 'consequent', 'alternate', 'elements', 'body', 'callee', 'arguments']) {
      const child = (node as Record<string, unknown>)[key];
      if (child !== undefined) pending.push([child, depth + 1]);
    }
  }
  return deepest;
}

/** Where `text` first appears in the source (for nodes jsep gives no position). */
function at(source: string, text: string): number {
  const index = source.indexOf(text);
  return index < 0 ? 0 : index;
}

function check(node: Node, source: string, outputs: Set<string>): void {
  switch (node.type) {
    case 'Literal':
      return;
    case 'Identifier':
      if (FORBIDDEN.has(String(node.name))) throw new ExpressionError(`"${String(node.name)}" cannot be used`, source, at(source, String(node.name)));
      return;
    case 'ArrayExpression':
      for (const element of (node.elements as (Node | null)[]) ?? []) if (element !== null) check(element, source, outputs);
      return;
    case 'MemberExpression': {
      const path = memberPath(node);
      if (path !== null && path[0] === 'outputs' && path.length >= 2) outputs.add(path[1]!);
      check(node.object as Node, source, outputs);
      const property = node.property as Node;
      if (node.computed === true) {
        if (property.type !== 'Literal' || !(typeof property.value === 'string' || typeof property.value === 'number')) {
          throw new ExpressionError('an index must be a literal string or number', source, at(source, '['));
        }
        if (FORBIDDEN.has(String(property.value))) throw new ExpressionError(`"${String(property.value)}" cannot be used`, source, at(source, String(property.value)));
      } else if (FORBIDDEN.has(String(property.name))) {
        throw new ExpressionError(`"${String(property.name)}" cannot be used`, source, at(source, String(property.name)));
      }
      return;
    }
    case 'UnaryExpression':
      if (!UNARY.has(String(node.operator))) throw new ExpressionError(`the operator "${String(node.operator)}" is not available`, source, at(source, String(node.operator)));
      check(node.argument as Node, source, outputs);
      return;
    case 'BinaryExpression':
      if (!BINARY.has(String(node.operator))) throw new ExpressionError(`the operator "${String(node.operator)}" is not available`, source, at(source, String(node.operator)));
      check(node.left as Node, source, outputs);
      check(node.right as Node, source, outputs);
      return;
    case 'ConditionalExpression':
      check(node.test as Node, source, outputs);
      check(node.consequent as Node, source, outputs);
      check(node.alternate as Node, source, outputs);
      return;
    case 'CallExpression': {
      const callee = node.callee as Node;
      const name = callee.type === 'Identifier' ? String(callee.name) : 'a function';
      throw new ExpressionError(`function calls are not available (${name}(…)); conditions compare params, outputs and metadata`, source, at(source, `${name}(`));
    }
    case 'ThisExpression':
      throw new ExpressionError('"this" is not available', source, at(source, 'this'));
    case 'Compound':
      throw new ExpressionError('a condition is one expression', source, Math.max(at(source, ','), at(source, ';')));
    default:
      throw new ExpressionError(`${node.type} is not available in a condition`, source, 0);
  }
}

/** `outputs.validate.validRate` → ['outputs', 'validate', 'validRate'] (null when not a plain dotted path). */
function memberPath(node: Node): string[] | null {
  if (node.type === 'Identifier') return [String(node.name)];
  if (node.type !== 'MemberExpression') return null;
  const base = memberPath(node.object as Node);
  if (base === null) return null;
  const property = node.property as Node;
  if (node.computed === true) return property.type === 'Literal' ? [...base, String(property.value)] : null;
  return [...base, String(property.name)];
}

/** Reads an own property of plain data; anything else reads as null. */
function own(value: unknown, key: string | number): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && typeof key === 'number') return value[key] ?? null;
  if (typeof value !== 'object') return null;
  return Object.prototype.hasOwnProperty.call(value, key) ? ((value as Record<string | number, unknown>)[key] ?? null) : null;
}

function describe(value: unknown): string {
  return value === null || value === undefined
    ? 'null'
    : typeof value === 'string'
      ? JSON.stringify(value)
      : typeof value === 'object'
        ? Array.isArray(value)
          ? 'an array'
          : 'an object'
        : String(value);
}

function evaluate(node: Node, scope: ExpressionScope, source: string): unknown {
  switch (node.type) {
    case 'Literal':
      return node.value ?? null;
    case 'Identifier': {
      const name = String(node.name);
      if (ROOTS.has(name)) return scope[name as keyof ExpressionScope];
      return own(scope.params, name);
    }
    case 'ArrayExpression':
      return ((node.elements as (Node | null)[]) ?? []).map((e) => (e === null ? null : evaluate(e, scope, source)));
    case 'MemberExpression': {
      const object = evaluate(node.object as Node, scope, source);
      const property = node.property as Node;
      const key = node.computed === true ? (property.value as string | number) : String(property.name);
      return own(object, key);
    }
    case 'UnaryExpression': {
      const value = evaluate(node.argument as Node, scope, source);
      if (node.operator === 'not' || node.operator === '!') return !value;
      if (typeof value !== 'number') throw new ExpressionError(`"${String(node.operator)}" needs a number, got ${describe(value)}`, source, at(source, String(node.operator)));
      return node.operator === '-' ? -value : value;
    }
    case 'ConditionalExpression':
      return evaluate(node.test as Node, scope, source) ? evaluate(node.consequent as Node, scope, source) : evaluate(node.alternate as Node, scope, source);
    case 'BinaryExpression':
      return binary(node, scope, source);
    default:
      throw new ExpressionError(`${node.type} is not available in a condition`, source, 0);
  }
}

function binary(node: Node, scope: ExpressionScope, source: string): unknown {
  const operator = String(node.operator);
  const left = evaluate(node.left as Node, scope, source);
  if (operator === 'and' || operator === '&&') return Boolean(left) && Boolean(evaluate(node.right as Node, scope, source));
  if (operator === 'or' || operator === '||') return Boolean(left) || Boolean(evaluate(node.right as Node, scope, source));
  const right = evaluate(node.right as Node, scope, source);
  const fail = (why: string): never => {
    throw new ExpressionError(`"${operator}" ${why} (got ${describe(left)} and ${describe(right)})`, source, at(source, ` ${operator} `) + 1);
  };
  switch (operator) {
    case '==':
    case '===':
      return equal(left, right);
    case '!=':
    case '!==':
      return !equal(left, right);
    case '<':
    case '<=':
    case '>':
    case '>=': {
      if (!((typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string'))) fail('compares two numbers or two strings');
      const l = left as number | string;
      const r = right as number | string;
      return operator === '<' ? l < r : operator === '<=' ? l <= r : operator === '>' ? l > r : l >= r;
    }
    case '+':
      if (typeof left === 'string' && typeof right === 'string') return left + right;
      if (typeof left !== 'number' || typeof right !== 'number') fail('adds two numbers or joins two strings');
      return (left as number) + (right as number);
    case '-':
    case '*':
    case '/':
    case '%': {
      if (typeof left !== 'number' || typeof right !== 'number') fail('needs two numbers');
      const l = left as number;
      const r = right as number;
      return operator === '-' ? l - r : operator === '*' ? l * r : operator === '/' ? l / r : l % r;
    }
    case 'in':
      if (Array.isArray(right)) return right.some((item) => equal(item, left));
      if (typeof right === 'string' && typeof left === 'string') return right.includes(left);
      if (right !== null && typeof right === 'object' && typeof left === 'string') return Object.prototype.hasOwnProperty.call(right, left);
      return fail('looks in an array, a string or an object');
    default:
      return fail('is not available');
  }
}

/** Equality of plain values: primitives by value (no coercion), arrays and objects by content. */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return (a ?? null) === (b ?? null);
  return JSON.stringify(a) === JSON.stringify(b);
}
