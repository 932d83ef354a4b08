import { SpineValidationError, type FieldViolation } from '../core/errors/spine-validation.error';
import { convertParam, shownParam } from '../core/params/param-conversion';
import type { ParamSpec, ParamsSpec } from '../core/params/param-spec';
import { didYouMean } from './did-you-mean';
import type { ParamsCheckOptions } from './params.validator';

/**
 * Converts and checks run params against a workflow's declared params (`ParamsSpec`): text to
 * each param's type (strictly), defaults for the missing ones, then required, enum, bounds,
 * pattern and format; unknown params refused with `forbidUnknown`. Returns the params or throws one
 * error listing every field, each with the value as it was sent.
 */
export function validateParamsSpec(workflow: string, spec: ParamsSpec, params: Readonly<Record<string, unknown>>, options: ParamsCheckOptions = {}): Record<string, unknown> {
  const violations: FieldViolation[] = [];
  const names = Object.keys(spec);
  if (options.forbidUnknown === true) {
    for (const key of options.given ?? []) {
      if (spec[key] !== undefined) continue;
      violations.push({ field: key, value: params[key], constraints: [`is not a param of workflow "${workflow}"${didYouMean(key, names)} (its params: ${[...names].sort().join(', ') || 'none'})`] });
    }
  }
  const out: Record<string, unknown> = { ...params };
  for (const [name, declared] of Object.entries(spec)) {
    const sent = params[name];
    if (sent === undefined || sent === null) {
      if (declared.default !== undefined) out[name] = declared.default;
      else if (declared.required === true) violations.push({ field: name, value: sent, constraints: ['is required'] });
      continue;
    }
    const problems = check(declared, sent);
    if (problems.problems.length > 0) violations.push({ field: name, value: sent, constraints: problems.problems });
    else out[name] = problems.value;
  }
  if (violations.length > 0) throw new SpineValidationError(workflow, violations);
  return out;
}

function check(declared: ParamSpec, sent: unknown): { value: unknown; problems: string[] } {
  const converted = convertParam(declared.type, sent);
  if (!converted.ok) return { value: sent, problems: [converted.problem] };
  let value = converted.value;
  const problems: string[] = [];
  if (declared.type === 'array' && declared.items !== undefined && Array.isArray(value)) {
    const items: unknown[] = [];
    (value as unknown[]).forEach((item, i) => {
      const one = convertParam(declared.items!.type, item);
      if (one.ok) items.push(one.value);
      else problems.push(`item ${i} ${one.problem}`);
    });
    value = items;
  }
  if (declared.enum !== undefined && !declared.enum.some((allowed) => allowed === value)) {
    problems.push(`must be one of ${declared.enum.map((v) => JSON.stringify(v)).join(', ')}; got ${shownParam(sent)}`);
  }
  if (typeof value === 'number') {
    if (declared.minimum !== undefined && value < declared.minimum) problems.push(`must be at least ${declared.minimum}; got ${shownParam(sent)}`);
    if (declared.maximum !== undefined && value > declared.maximum) problems.push(`must be at most ${declared.maximum}; got ${shownParam(sent)}`);
  }
  const length = typeof value === 'string' || Array.isArray(value) ? value.length : null;
  if (length !== null && declared.minLength !== undefined && length < declared.minLength)
    problems.push(`must have at least ${declared.minLength} ${typeof value === 'string' ? 'characters' : 'items'}`);
  if (length !== null && declared.maxLength !== undefined && length > declared.maxLength)
    problems.push(`must have at most ${declared.maxLength} ${typeof value === 'string' ? 'characters' : 'items'}`);
  if (typeof value === 'string' && declared.pattern !== undefined && !new RegExp(declared.pattern, 'u').test(value)) problems.push(`must match ${declared.pattern}; got ${shownParam(sent)}`);
  if (typeof value === 'string' && declared.format !== undefined) {
    const date = convertParam('date', value);
    const shape = declared.format === 'date' ? /^\d{4}-\d{2}-\d{2}$/ : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
    if (!date.ok || !shape.test(value)) problems.push(`must be a ${declared.format === 'date' ? 'date like 2026-10-23' : 'date-time like 2026-10-23T16:00:00Z'}; got ${shownParam(sent)}`);
  }
  return { value, problems };
}
