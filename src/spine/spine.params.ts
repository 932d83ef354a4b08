import type { WorkflowDefinition } from '../core/definition/workflow-definition';
import type { Constructor } from '../decorators/decorator-metadata';
import { describeParamsClass, validateParams, type ParamsCheckOptions } from '../validation/params.validator';
import type { ParamsSpec } from '../core/params/param-spec';
import { validateParamsSpec } from '../validation/params-spec.validator';

/**
 * A workflow's params converted and checked by what declares them: its params class, else the
 * params its definition declares as data; as given when neither.
 */
export function checkParams(
  workflow: string,
  paramsType: Constructor | null,
  definition: WorkflowDefinition,
  params: Readonly<Record<string, unknown>>,
  options: ParamsCheckOptions,
): Readonly<Record<string, unknown>> | Promise<Readonly<Record<string, unknown>>> {
  if (paramsType !== null) return validateParams(workflow, paramsType, params, options);
  if (definition.params !== null) return validateParamsSpec(workflow, definition.params, params, options);
  return params;
}

/** What a workflow's params are, for a form: its params class described, else the params its definition declares; null when neither. */
export function paramsFormOf(paramsType: Constructor | null, definition: WorkflowDefinition): ParamsSpec | null {
  if (paramsType !== null) return describeParamsClass(paramsType);
  return definition.params;
}
