import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validate, type ValidationError } from 'class-validator';
import { SpineValidationError, type FieldViolation } from '../core/errors/spine-validation.error';
import type { Constructor } from '../decorators/decorator-metadata';

/**
 * Converts run params to the workflow's DTO (implicit conversion, so '5' becomes 5 for a number
 * field) and validates them; returns the converted params or throws one error listing every field.
 */
export async function validateParams(workflow: string, type: Constructor, params: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const instance = plainToInstance(type as new () => object, { ...params }, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = await validate(instance, { forbidUnknownValues: false, validationError: { target: false } });
  if (errors.length > 0) throw new SpineValidationError(workflow, flatten(errors, ''));
  return { ...(instance as Record<string, unknown>) };
}

function flatten(errors: readonly ValidationError[], prefix: string): FieldViolation[] {
  return errors.flatMap((error) => {
    const field = prefix === '' ? error.property : `${prefix}.${error.property}`;
    const own: FieldViolation[] = error.constraints ? [{ field, value: error.value, constraints: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
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
