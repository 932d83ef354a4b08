import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validate, ValidationTypes, type ValidationError } from 'class-validator';
import { SpineValidationError, type FieldViolation } from '../core/errors/spine-validation.error';
import { convertParam, type ParamKind } from '../core/params/param-conversion';
import type { ParamSpec, ParamsSpec } from '../core/params/param-spec';
import type { Constructor } from '../decorators/decorator-metadata';
import { didYouMean } from './did-you-mean';

/** How params are checked at a door. */
export interface ParamsCheckOptions {
  /**
   * The keys the caller sent (not the workflow's defaults): with `forbidUnknown`, a key the params
   * class does not declare is refused, named.
   */
  readonly given?: readonly string[];
  readonly forbidUnknown?: boolean;
}

/**
 * Converts run params to the workflow's DTO and validates them; returns the converted params or
 * throws one error listing every field. Text is converted strictly by the field's declared type
 * (`convertParam`: `"false"` is false, `"abc"` is not a number); a missing field that is not
 * `@IsOptional()` reads "is required"; every message shows the value as it was sent.
 */
export async function validateParams(workflow: string, type: Constructor, params: Readonly<Record<string, unknown>>, options: ParamsCheckOptions = {}): Promise<Record<string, unknown>> {
  const shape = paramsShape(type);
  const violations: FieldViolation[] = [];
  if (options.forbidUnknown === true) {
    for (const key of options.given ?? []) {
      if (shape.fields.has(key)) continue;
      const known = [...shape.fields].sort().join(', ') || 'none';
      violations.push({ field: key, value: params[key], constraints: [`is not a param of workflow "${workflow}"${didYouMean(key, shape.fields)} (its params: ${known})`] });
    }
  }
  const converted: Record<string, unknown> = { ...params };
  const refused = new Set<string>();
  for (const [field, kind] of shape.kinds) {
    const outcome = convertParam(kind, params[field]);
    if (outcome.ok) converted[field] = outcome.value;
    else {
      refused.add(field);
      violations.push({ field, value: params[field], constraints: [outcome.problem] });
    }
  }
  const instance = plainToInstance(type as new () => object, converted, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = await validate(instance, { forbidUnknownValues: false, validationError: { target: false } });
  for (const violation of flatten(errors, '')) {
    const top = violation.field.split('.')[0]!;
    if (refused.has(top)) continue;
    const sent = violation.field === top ? params[top] : violation.value;
    const missing = violation.field === top && (sent === undefined || sent === null) && !shape.optional.has(top);
    violations.push({ field: violation.field, value: sent, constraints: missing ? ['is required'] : violation.constraints });
  }
  if (violations.length > 0) throw new SpineValidationError(workflow, violations);
  return { ...(instance as Record<string, unknown>) };
}

function flatten(errors: readonly ValidationError[], prefix: string): FieldViolation[] {
  return errors.flatMap((error) => {
    const field = prefix === '' ? error.property : `${prefix}.${error.property}`;
    const own: FieldViolation[] = error.constraints ? [{ field, value: error.value, constraints: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** What a params class declares: its fields, the kind each converts to, and the optional ones. */
interface ParamsShape {
  readonly fields: ReadonlySet<string>;
  readonly kinds: ReadonlyMap<string, ParamKind>;
  readonly optional: ReadonlySet<string>;
}

const shapes = new WeakMap<Constructor, ParamsShape>();

function paramsShape(type: Constructor): ParamsShape {
  const known = shapes.get(type);
  if (known !== undefined) return known;
  const metadata = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
  const fields = new Set(metadata.map((m) => m.propertyName));
  try {
    // fields with a default and no decorator are params too
    for (const key of Object.keys(new (type as new () => object)())) fields.add(key);
  } catch {
    // a class that cannot be built without arguments declares its fields by decorators only
  }
  const optional = new Set(metadata.filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION).map((m) => m.propertyName));
  const kinds = new Map<string, ParamKind>();
  for (const field of fields) {
    const kind = kindOf(Reflect.getMetadata('design:type', type.prototype as object, field));
    if (kind !== null) kinds.set(field, kind);
  }
  const shape = { fields, kinds, optional };
  shapes.set(type, shape);
  return shape;
}

/**
 * A params class described as declared params (for a start form): each field with the type its
 * design type converts to (a Date as a date-time string), required unless `@IsOptional()`, its
 * default from the class's initializer, and the values `@IsIn` allows.
 */
export function describeParamsClass(type: Constructor): ParamsSpec {
  const shape = paramsShape(type);
  let defaults: Record<string, unknown> = {};
  try {
    defaults = { ...(new (type as new () => object)() as Record<string, unknown>) };
  } catch {
    // no defaults without a constructor that takes no arguments
  }
  const metadata = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false);
  const spec: Record<string, ParamSpec> = {};
  for (const field of shape.fields) {
    const kind = shape.kinds.get(field) ?? 'string';
    const allowed = metadata.find((m) => m.propertyName === field && m.name === 'isIn')?.constraints?.[0] as unknown[] | undefined;
    spec[field] = {
      type: kind === 'date' ? 'string' : kind,
      ...(kind === 'date' && { format: 'date-time' as const }),
      required: !shape.optional.has(field) && defaults[field] === undefined,
      ...(defaults[field] !== undefined && { default: defaults[field] }),
      ...(Array.isArray(allowed) && { enum: allowed }),
    };
  }
  return spec;
}

function kindOf(designType: unknown): ParamKind | null {
  if (designType === Boolean) return 'boolean';
  if (designType === Number) return 'number';
  if (designType === Date) return 'date';
  if (designType === Array) return 'array';
  if (designType === String) return 'string';
  return null;
}

/**
 * Why a params class cannot be converted as written (null when it can): its validated fields
 * carry no `design:type` metadata, so the class was compiled without `emitDecoratorMetadata`
 * (esbuild and tsx drop it) and '4' would never become 4.
 */
export function paramsMetadataProblem(workflow: string, type: Constructor): string | null {
  const fields = [
    ...new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(type, '', true, false)
        .map((m) => m.propertyName),
    ),
  ];
  if (fields.length === 0) return null;
  const typed = fields.filter((field) => Reflect.getMetadata('design:type', type.prototype as object, field) !== undefined);
  if (typed.length > 0) return null;
  return (
    `workflow "${workflow}": its params class ${type.name} has no decorator type metadata on its fields (${fields.join(', ')}): it was compiled ` +
    'without "emitDecoratorMetadata" (esbuild and tsx drop it), so params would not be converted (\'4\' would stay a string). ' +
    'Set "experimentalDecorators": true and "emitDecoratorMetadata": true in tsconfig.json and compile with tsc, ts-node or SWC (decoratorMetadata: true).'
  );
}
