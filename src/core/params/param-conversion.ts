/** The kinds of value a param can be declared as (a params class's field type, a YAML param's `type`). */
export type ParamKind = 'string' | 'boolean' | 'number' | 'integer' | 'date' | 'array' | 'object';

/** A converted value, or why the value given cannot be one of its kind (naming what was sent). */
export type Converted = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

const shown = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : value instanceof Date ? value.toISOString() : (JSON.stringify(value) ?? String(value)));

/**
 * Converts a param as a command line, a form or a query string sends it (text) to its declared
 * kind, strictly: `"false"`, `"0"` and `"no"` are false (never true, as a plain `Boolean("false")`
 * would make them); `"abc"` is not a number and is refused, not NaN. A value already of its kind is
 * kept; `undefined` and `null` are left to the required/optional rules.
 */
export function convertParam(kind: ParamKind, value: unknown): Converted {
  if (value === undefined || value === null) return { ok: true, value };
  switch (kind) {
    case 'boolean': {
      if (typeof value === 'boolean') return { ok: true, value };
      const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim().toLowerCase() : null;
      if (text !== null && TRUE.has(text)) return { ok: true, value: true };
      if (text !== null && FALSE.has(text)) return { ok: true, value: false };
      return { ok: false, problem: `must be true or false (or 1/0, yes/no); got ${shown(value)}` };
    }
    case 'number':
    case 'integer': {
      const number = typeof value === 'number' ? value : typeof value === 'string' && NUMBER.test(value.trim()) ? Number(value.trim()) : Number.NaN;
      if (!Number.isFinite(number)) return { ok: false, problem: `must be a number; got ${shown(value)}` };
      if (kind === 'integer' && !Number.isInteger(number)) return { ok: false, problem: `must be a whole number; got ${shown(value)}` };
      return { ok: true, value: number };
    }
    case 'date': {
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? { ok: false, problem: 'must be a date; got an invalid Date' } : { ok: true, value };
      const date = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value.trim()) ? new Date(value.trim()) : null;
      if (date === null || Number.isNaN(date.getTime())) return { ok: false, problem: `must be a date (ISO 8601, like 2026-10-23 or 2026-10-23T16:00:00Z); got ${shown(value)}` };
      return { ok: true, value: date };
    }
    case 'array': {
      if (Array.isArray(value)) return { ok: true, value };
      if (typeof value !== 'string') return { ok: false, problem: `must be a list; got ${shown(value)}` };
      const text = value.trim();
      if (text.startsWith('[')) {
        try {
          const parsed: unknown = JSON.parse(text);
          if (Array.isArray(parsed)) return { ok: true, value: parsed };
        } catch {
          // reported below
        }
        return { ok: false, problem: `must be a list: a JSON array or comma-separated values; got ${shown(value)}` };
      }
      return { ok: true, value: text === '' ? [] : text.split(',').map((item) => item.trim()) };
    }
    case 'object': {
      if (typeof value === 'object' && !Array.isArray(value)) return { ok: true, value };
      if (typeof value === 'string' && value.trim().startsWith('{')) {
        try {
          const parsed: unknown = JSON.parse(value);
          if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return { ok: true, value: parsed };
        } catch {
          // reported below
        }
      }
      return { ok: false, problem: `must be an object (JSON, like {"key": "value"}); got ${shown(value)}` };
    }
    case 'string':
      return typeof value === 'string'
        ? { ok: true, value }
        : typeof value === 'number' || typeof value === 'boolean'
          ? { ok: true, value: String(value) }
          : { ok: false, problem: `must be text; got ${shown(value)}` };
  }
}

/** How a param's value is shown in a message: as the user sent it. */
export const shownParam = shown;
