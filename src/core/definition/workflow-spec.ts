import { createHash } from 'node:crypto';
import type { StepDefinition } from './step-definition';
import { ErrorCategory } from '../policy/error-category';
import { DEFAULT_RETRYABLE, type RetryPolicy } from '../policy/retry-policy';
import { isWorkflowLike, type WorkflowDefinition } from './workflow-definition';

/** A JSON description of a workflow (functions by name): what is stored and hashed. */
export interface WorkflowSpec {
  readonly name: string;
  readonly domain: string | null;
  readonly version: number;
  readonly description: string | null;
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly maxSteps: number;
  readonly steps: readonly Record<string, unknown>[];
  readonly timeoutMs?: number;
}

const fnName = (fn: unknown): string | null => (typeof fn === 'function' ? fn.name || 'anonymous' : null);

/**
 * A retry policy as hashed: the default categories as they were before NETWORK joined them, so
 * definitions that keep the default keep the hash they had (their runs stay resumable).
 */
function retrySpec(retry: RetryPolicy | null): Record<string, unknown> | null {
  if (retry === null) return null;
  const json = retry.toJSON() as { retryableCategories: readonly string[] };
  const defaults = json.retryableCategories.length === DEFAULT_RETRYABLE.length && DEFAULT_RETRYABLE.every((c) => json.retryableCategories.includes(c));
  return defaults ? { ...json, retryableCategories: json.retryableCategories.filter((c) => c !== ErrorCategory.NETWORK) } : { ...json };
}

/** Describes a step as JSON; functions appear by name. */
export function stepSpec(step: StepDefinition): Record<string, unknown> {
  const common = {
    name: step.name,
    type: step.type,
    description: step.description,
    onError: step.onError,
    retry: retrySpec(step.retry),
    timeoutMs: step.timeoutMs,
    quality: step.quality?.toJSON() ?? null,
    qualityMode: step.qualityMode,
    next: step.next,
    dependsOn: step.dependsOn,
    // only when set: definitions without it keep the hash they had
    ...(step.checkpoint && { checkpoint: true }),
  };
  switch (step.type) {
    case 'lambda':
      return { ...common, handler: fnName(step.handler), config: step.config };
    case 'pipeline':
      return { ...common, pipeline: step.pipeline, params: step.params, paramsFrom: fnName(step.paramsFrom) };
    case 'choice':
      return { ...common, when: fnName(step.when), then: step.then, otherwise: step.otherwise };
    case 'wait':
      if (step.signal !== null) return { ...common, signal: step.signal };
      // only when set: waits without it keep the hash they had
      return { ...common, seconds: step.seconds, until: fnName(step.until), ...(step.durationPath !== null && { durationPath: step.durationPath }) };
    case 'map':
      return {
        ...common,
        items: step.items,
        itemsFrom: fnName(step.itemsFrom),
        itemsPath: step.itemsPath,
        itemParam: step.itemParam,
        indexParam: step.indexParam,
        iterator: typeof step.iterator === 'string' ? step.iterator : isWorkflowLike(step.iterator) ? workflowSpec(step.iterator) : stepSpec(step.iterator as StepDefinition),
        maxConcurrency: step.maxConcurrency,
        toleratedFailureCount: step.toleratedFailureCount,
        toleratedFailurePercentage: step.toleratedFailurePercentage,
        // only when set: maps run in place keep the hash they had before distributed maps existed
        ...(step.distribute !== null && { distribute: step.distribute }),
        ...(step.onItemError !== 'fail' && { onItemError: step.onItemError }),
      };
  }
}

/** Describes a workflow as JSON. */
export function workflowSpec(definition: WorkflowDefinition): WorkflowSpec {
  return {
    name: definition.name,
    domain: definition.domain,
    version: definition.version,
    description: definition.description,
    defaults: definition.defaults,
    maxSteps: definition.maxSteps,
    steps: definition.steps.map(stepSpec),
    // only when set: definitions without it keep the hash they had
    ...(definition.timeoutMs !== null && { timeoutMs: definition.timeoutMs }),
  };
}

const hashes = new WeakMap<WorkflowDefinition, string>();

/** A stable SHA-256 of the workflow's spec (key order does not matter); cached per definition. */
export function workflowHash(definition: WorkflowDefinition): string {
  let hash = hashes.get(definition);
  if (hash === undefined) {
    hash = createHash('sha256')
      .update(canonicalJson(workflowSpec(definition)))
      .digest('hex');
    hashes.set(definition, hash);
  }
  return hash;
}

/** JSON with object keys sorted at every level: equal values give equal text (hashes). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
