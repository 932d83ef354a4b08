import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { SpineValidationError, type FieldViolation } from '../core/errors/spine-validation.error';
import type { Constructor } from '../decorators/decorator-metadata';

/**
 * Converts run params to the workflow's DTO (implicit conversion, so '5' becomes 5 for a number
 * field) and validates them; returns the converted params or throws one error listing every field.
 */
export async function validateParams(
  workflow: string,
  type: Constructor,
  params: Readonly<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
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
