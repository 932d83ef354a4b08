import { paramsSpecProblems } from '../params/param-spec';
import { WorkflowDefinitionError } from '../errors/spine-error';
import { isErrorPolicy, ErrorPolicy } from '../policy/error-policy';
import { RetryPolicy, type RetryPolicyOptions } from '../policy/retry-policy';
import { QualityThresholds, type QualityThresholdsInit } from '../quality/quality-thresholds';
import { qualityTrendOptions } from '../quality/quality-trend';
import { isRecord } from '../context/safe-values';
import { RECORD_LIMITS } from '../store/record-limits';
import type { StepDeclaration, StepDefinition, StepDefinitionBase, StepOptions } from './step-definition';
import { DEFAULT_MAX_STEPS, END, isWorkflowLike, type WorkflowDeclaration, type WorkflowDefinition } from './workflow-definition';

const compiled = new WeakSet<object>();
const STEP_TYPES = new Set(['lambda', 'pipeline', 'choice', 'wait', 'map']);

/** True for definitions this compiler produced (they are frozen and known valid). */
export function isCompiledWorkflow(value: unknown): value is WorkflowDefinition {
  return typeof value === 'object' && value !== null && compiled.has(value);
}

/** Validates a declaration and compiles it; throws one error listing every problem found. */
export function compileWorkflow(given: WorkflowDeclaration): WorkflowDefinition {
  if (isCompiledWorkflow(given)) return given;
  const declaration = nameInlineIterators(given);
  const subject = `Workflow "${typeof declaration?.name === 'string' ? declaration.name : '?'}"`;
  const problems = workflowProblems(declaration);
  if (problems.length > 0) throw new WorkflowDefinitionError(subject, problems);
  return build(declaration);
}

/** Compiles a single step declaration (a map iterator); throws listing every problem. */
export function compileStep(declaration: StepDeclaration | StepDefinition): StepDefinition {
  const problems = stepProblems(declaration, new Set([declaration.name]));
  if (problems.length > 0) throw new WorkflowDefinitionError(`Step "${String(declaration?.name)}"`, problems);
  return buildStep(declaration);
}

/**
 * The declaration with its maps' unnamed inline iterator workflows (`{ steps: [...] }`, the
 * design's `iterator=Workflow(steps=[...])`) named `<workflow>.<map step>`, at every depth.
 */
function nameInlineIterators(declaration: WorkflowDeclaration): WorkflowDeclaration {
  if (!isRecord(declaration) || !Array.isArray(declaration.steps) || typeof declaration.name !== 'string') return declaration;
  let changed = false;
  const steps = declaration.steps.map((step) => {
    if (!isRecord(step) || step.type !== 'map') return step;
    const iterator = (step as { iterator?: unknown }).iterator;
    if (!isRecord(iterator) || !Array.isArray(iterator.steps) || iterator.type !== undefined || isCompiledWorkflow(iterator)) return step;
    const inline = iterator as unknown as WorkflowDeclaration;
    const named = nameInlineIterators(typeof iterator.name === 'string' ? inline : { ...inline, name: `${declaration.name}.${String(step.name)}` });
    if (named === inline) return step;
    changed = true;
    return { ...step, iterator: named } as typeof step;
  });
  return changed ? { ...declaration, steps } : declaration;
}

/** Every problem of a workflow declaration, nested iterators included (empty when valid). */
export function workflowProblems(given: WorkflowDeclaration): string[] {
  const declaration = nameInlineIterators(given);
  if (!isRecord(declaration)) return ['the definition must be an object with a name and steps'];
  if (isCompiledWorkflow(declaration)) return [];
  const problems: string[] = [];
  const { name, steps, maxSteps, defaults } = declaration;
  if (typeof name !== 'string' || name.trim() === '') problems.push('the workflow needs a non-empty name');
  else if (name.length > RECORD_LIMITS.name) problems.push(`its name is ${name.length} characters; at most ${RECORD_LIMITS.name} are allowed`);
  const domain = (declaration as { domain?: unknown }).domain;
  if (typeof domain === 'string' && domain.length > RECORD_LIMITS.name) problems.push(`its domain is ${domain.length} characters; at most ${RECORD_LIMITS.name} are allowed`);
  if (!Array.isArray(steps) || steps.length === 0) {
    problems.push('it has no steps; add at least one');
    return problems;
  }
  if (maxSteps !== undefined && !(Number.isInteger(maxSteps) && maxSteps >= 1)) {
    problems.push(`maxSteps must be a whole number ≥ 1 (got ${String(maxSteps)})`);
  }
  if (defaults !== undefined && !isRecord(defaults)) problems.push('defaults must be an object');
  if (declaration.params !== undefined && declaration.params !== null) problems.push(...paramsSpecProblems(declaration.params));
  const queue = declaration.queue;
  if (queue !== undefined && queue !== null && !(typeof queue === 'string' && queue.length > 0 && queue.length <= 255)) {
    problems.push(`queue must be a non-empty string of at most 255 characters (got ${JSON.stringify(queue)})`);
  }
  const version = (declaration as { version?: unknown }).version;
  if (version !== undefined && !(Number.isInteger(version) && (version as number) >= 1 && (version as number) <= 1_000_000)) {
    problems.push(`version must be a whole number from 1 to 1000000 (got ${JSON.stringify(version)})`);
  }
  const onChange = (declaration as { onDefinitionChange?: unknown }).onDefinitionChange;
  if (onChange !== undefined && onChange !== 'pin' && onChange !== 'continue') {
    problems.push(`onDefinitionChange must be 'pin' or 'continue' (got ${JSON.stringify(onChange)})`);
  }
  const hook = (declaration as { onQualityDegraded?: unknown }).onQualityDegraded;
  if (hook !== undefined && typeof hook !== 'function') problems.push(`onQualityDegraded must be a function (got ${typeof hook})`);
  if (declaration.qualityTrend !== undefined) {
    try {
      qualityTrendOptions(declaration.qualityTrend, 'workflow');
    } catch (error) {
      problems.push((error as Error).message.replace(/^workflow\./, '').replace(/\.$/, ''));
    }
  }
  const every = declaration.checkpointEvery;
  if (every !== undefined && every !== null && !(Number.isInteger(every) && every >= 1)) {
    problems.push(`checkpointEvery must be a whole number ≥ 1 (got ${String(every)})`);
  }
  const runTimeout = declaration.timeoutMs;
  if (runTimeout !== undefined && runTimeout !== null && !(typeof runTimeout === 'number' && runTimeout > 0 && Number.isFinite(runTimeout))) {
    problems.push(`timeoutMs must be a number > 0 (got ${String(runTimeout)})`);
  }
  const names = new Set<string>();
  const seen = new Set<string>();
  for (const step of steps) {
    if (isRecord(step) && typeof step.name === 'string') {
      if (seen.has(step.name)) {
        problems.push(`step "${step.name}" is declared more than once; give each step a unique name`);
      }
      seen.add(step.name);
      names.add(step.name);
    }
  }
  steps.forEach((step, index) => problems.push(...stepProblems(step, names, index)));
  return problems;
}

function stepProblems(step: StepDeclaration | StepDefinition, names: ReadonlySet<string>, index?: number): string[] {
  const where = index === undefined ? 'the step' : `step #${index + 1}`;
  if (!isRecord(step)) return [`${where} is not a step object; build steps with Step.lambda(), Step.pipeline() …`];
  const label = typeof step.name === 'string' && step.name !== '' ? `step "${step.name.length > 60 ? `${step.name.slice(0, 60)}…` : step.name}"` : where;
  const problems: string[] = [];
  const add = (problem: string): void => void problems.push(`${label}: ${problem}`);
  if (typeof step.name !== 'string' || step.name.trim() === '') add('needs a non-empty name');
  else if (step.name.startsWith('$')) add('names starting with "$" are reserved');
  else if (step.name.length > RECORD_LIMITS.name) add(`its name is ${step.name.length} characters; at most ${RECORD_LIMITS.name} are allowed`);
  if (!STEP_TYPES.has(step.type as string)) {
    add(`has unknown type ${JSON.stringify(step.type)}; use lambda, pipeline, choice, wait or map`);
    return problems;
  }
  commonProblems(step, names, add);
  const target = (field: string, value: unknown, required: boolean): void => {
    if (value === undefined || value === null) {
      if (required) add(`needs "${field}": the step to go to`);
    } else if (typeof value !== 'string' || (value !== END && !names.has(value))) {
      add(`${field} target ${JSON.stringify(value)} is not a step of this workflow${known(names)}`);
    }
  };
  switch (step.type) {
    case 'lambda':
      if (typeof step.handler !== 'function') add('needs a handler function');
      if (step.config !== undefined && !isRecord(step.config)) add('config must be an object');
      break;
    case 'pipeline':
      if (typeof step.pipeline !== 'string' || step.pipeline.trim() === '') add('needs the name of a registered pipeline');
      if (step.params !== undefined && !isRecord(step.params)) add('params must be an object');
      if (step.paramsFrom != null && typeof step.paramsFrom !== 'function') add('paramsFrom must be a function');
      break;
    case 'choice':
      if (typeof step.when !== 'function') add('needs a "when" condition function');
      target('then', step.then, true);
      target('otherwise', step.otherwise, false);
      break;
    case 'wait': {
      const hasSeconds = step.seconds !== undefined && step.seconds !== null;
      const hasUntil = step.until !== undefined && step.until !== null;
      const hasPath = step.durationPath !== undefined && step.durationPath !== null;
      if (hasPath && !(typeof step.durationPath === 'string' && /^((params\.)?[A-Za-z_$][\w$]*|outputs\.[^.]+\.[^.]+)$/.test(step.durationPath))) {
        add(`durationPath ${JSON.stringify(step.durationPath)} must look like 'wait_seconds', 'params.<key>' or 'outputs.<step>.<key>'`);
      }
      const signal = step.signal;
      // the design's spelling (change note: Step.wait("cooldown", duration_seconds=300)) named with its replacement
      for (const spelling of ['durationSeconds', 'duration_seconds']) {
        const given = (step as unknown as Record<string, unknown>)[spelling];
        if (given !== undefined) add(`"${spelling}" is the design's spelling: write { seconds: ${typeof given === 'number' ? given : '<seconds>'} }`);
      }
      if (Number(hasSeconds) + Number(hasUntil) + Number(hasPath) + Number(signal != null) !== 1) add('needs exactly one of "seconds", "durationPath", "until" or "signal"');
      if (signal != null) {
        if (!(typeof signal.name === 'string' && signal.name.length > 0 && signal.name.length <= 255))
          add(`signal name must be a non-empty string of at most 255 characters (got ${JSON.stringify(signal.name)})`);
        if (signal.timeoutMs != null && !(typeof signal.timeoutMs === 'number' && signal.timeoutMs > 0 && Number.isFinite(signal.timeoutMs))) {
          add(`signal timeoutMs must be a number > 0 (got ${String(signal.timeoutMs)})`);
        }
        if (signal.onTimeout !== undefined && signal.onTimeout !== 'fail' && signal.onTimeout !== 'continue')
          add(`signal onTimeout must be 'fail' or 'continue' (got ${JSON.stringify(signal.onTimeout)})`);
      }
      if (hasSeconds && !(typeof step.seconds === 'number' && Number.isFinite(step.seconds) && step.seconds >= 0)) {
        add(`seconds must be a number ≥ 0 (got ${String(step.seconds)})`);
      }
      if (hasUntil && typeof step.until !== 'function') add('until must be a function of the context returning a Date');
      break;
    }
    case 'map':
      problems.push(...mapProblems(step, add));
      break;
  }
  return problems;
}

function commonProblems(step: StepOptions & { name?: unknown }, names: ReadonlySet<string>, add: (p: string) => void): void {
  if (step.onError !== undefined && !isErrorPolicy(step.onError)) {
    add(`onError must be STOP, CONTINUE or RETRY (got ${JSON.stringify(step.onError)})`);
  }
  if (step.retry != null && !(step.retry instanceof RetryPolicy)) {
    for (const p of RetryPolicy.problemsOf(step.retry as RetryPolicyOptions)) add(`retry: ${p}`);
  }
  if (step.timeoutMs != null && !(typeof step.timeoutMs === 'number' && step.timeoutMs > 0 && Number.isFinite(step.timeoutMs))) {
    add(`timeoutMs must be a number > 0 (got ${String(step.timeoutMs)})`);
  }
  if (step.quality != null && !(step.quality instanceof QualityThresholds)) {
    for (const p of QualityThresholds.problemsOf(step.quality as QualityThresholdsInit)) add(`quality: ${p}`);
  }
  if (step.qualityMode !== undefined && step.qualityMode !== 'fail' && step.qualityMode !== 'warn' && step.qualityMode !== 'approve') {
    add(`qualityMode must be 'fail', 'warn' or 'approve' (got ${JSON.stringify(step.qualityMode)})`);
  }
  if (step.checkpoint !== undefined && typeof step.checkpoint !== 'boolean') add(`checkpoint must be true or false (got ${JSON.stringify(step.checkpoint)})`);
  if (step.next != null && (typeof step.next !== 'string' || (step.next !== END && !names.has(step.next)))) {
    add(`next target ${JSON.stringify(step.next)} is not a step of this workflow${known(names)}`);
  }
  for (const dependency of step.dependsOn ?? []) {
    if (dependency === step.name) add('depends on itself');
    else if (!names.has(dependency)) add(`depends on "${dependency}", which is not a step of this workflow`);
  }
}

function mapProblems(step: Extract<StepDeclaration, { type: 'map' }>, add: (p: string) => void): string[] {
  const nested: string[] = [];
  const sources = [step.items, step.itemsFrom, step.itemsPath].filter((s) => s !== undefined && s !== null);
  if (sources.length !== 1) add('needs exactly one of "items", "itemsFrom" or "itemsPath"');
  if (step.items != null && !Array.isArray(step.items)) add('items must be an array');
  if (step.itemsFrom != null && typeof step.itemsFrom !== 'function') add('itemsFrom must be a function');
  if (step.itemsPath != null && !/^(params\.[^.]+|outputs\.[^.]+(\..+)?|[^.\s]+)$/.test(String(step.itemsPath))) {
    add(`itemsPath ${JSON.stringify(step.itemsPath)} must look like 'params.<key>', 'outputs.<step>.<key>' or a param's name (the design's items_path: sources)`);
  }
  if (step.itemParam !== undefined && (typeof step.itemParam !== 'string' || step.itemParam === '')) {
    add('itemParam must be a non-empty string');
  }
  if (step.maxConcurrency !== undefined && !(Number.isInteger(step.maxConcurrency) && step.maxConcurrency >= 1)) {
    add(`maxConcurrency must be a whole number ≥ 1 (got ${String(step.maxConcurrency)})`);
  }
  if (step.toleratedFailureCount != null && !(Number.isInteger(step.toleratedFailureCount) && step.toleratedFailureCount >= 0)) {
    add(`toleratedFailureCount must be a whole number ≥ 0 (got ${String(step.toleratedFailureCount)})`);
  }
  const pct = step.toleratedFailurePercentage;
  if (pct != null && !(typeof pct === 'number' && pct >= 0 && pct <= 100)) {
    add(`toleratedFailurePercentage must be between 0 and 100 (got ${String(pct)})`);
  }
  const onItemError = step.onItemError;
  if (onItemError !== undefined && onItemError !== null && onItemError !== 'fail' && onItemError !== 'partial') {
    add(`onItemError must be 'fail' or 'partial' (got ${JSON.stringify(onItemError)})`);
  }
  if (onItemError === 'partial' && (step.toleratedFailureCount != null || step.toleratedFailurePercentage != null)) {
    add("onItemError 'partial' tolerates every failed item; drop toleratedFailureCount / toleratedFailurePercentage (or use them with onItemError 'fail')");
  }
  const distribute = step.distribute;
  if (distribute !== undefined && distribute !== null && distribute !== false && distribute !== true && !(typeof distribute === 'string' && distribute.length > 0 && distribute.length <= 255)) {
    add(`distribute must be true, false or a queue name (got ${JSON.stringify(distribute)})`);
  }
  const iterator = step.iterator;
  if (iterator === undefined || iterator === null) add('needs an iterator: a workflow, a step or a workflow name');
  else if (typeof iterator === 'string') {
    if (iterator.trim() === '') add('iterator name must not be empty');
  } else if (isWorkflowLike(iterator)) {
    for (const p of workflowProblems(iterator)) nested.push(`step "${step.name}" iterator "${iterator.name}": ${p}`);
  } else if (isRecord(iterator)) {
    const self = new Set([String((iterator as { name?: unknown }).name)]);
    for (const p of stepProblems(iterator as unknown as StepDeclaration, self)) nested.push(`step "${step.name}" iterator: ${p}`);
  } else add('iterator must be a workflow, a step or a workflow name');
  return nested;
}

function known(names: ReadonlySet<string>): string {
  return names.size > 0 ? ` (steps: ${[...names].join(', ')})` : '';
}

function build(declaration: WorkflowDeclaration): WorkflowDefinition {
  if (isCompiledWorkflow(declaration)) return declaration;
  const definition: WorkflowDefinition = Object.freeze({
    name: declaration.name,
    domain: declaration.domain ?? null,
    version: declaration.version ?? 1,
    description: declaration.description ?? null,
    defaults: Object.freeze({ ...(declaration.defaults ?? {}) }),
    params: declaration.params == null ? null : Object.freeze({ ...declaration.params }),
    steps: Object.freeze(declaration.steps.map(buildStep)),
    maxSteps: declaration.maxSteps ?? DEFAULT_MAX_STEPS,
    tags: Object.freeze([...(declaration.tags ?? [])]),
    queue: declaration.queue ?? null,
    checkpointEvery: declaration.checkpointEvery ?? null,
    timeoutMs: declaration.timeoutMs ?? null,
    onDefinitionChange: declaration.onDefinitionChange ?? 'pin',
    ...(declaration.onQualityDegraded !== undefined && { onQualityDegraded: declaration.onQualityDegraded }),
    ...(declaration.qualityTrend !== undefined && { qualityTrend: qualityTrendOptions(declaration.qualityTrend, 'workflow') }),
  });
  compiled.add(definition);
  return definition;
}

function buildStep(step: StepDeclaration | StepDefinition): StepDefinition {
  const base: StepDefinitionBase = {
    name: step.name,
    description: step.description ?? null,
    onError: step.onError ?? ErrorPolicy.STOP,
    retry: step.retry == null ? null : RetryPolicy.from(step.retry),
    timeoutMs: step.timeoutMs ?? null,
    quality: step.quality == null ? null : QualityThresholds.from(step.quality),
    qualityMode: step.qualityMode ?? 'fail',
    next: step.next ?? null,
    dependsOn: Object.freeze([...(step.dependsOn ?? [])]),
    checkpoint: step.checkpoint === true,
  };
  switch (step.type) {
    case 'lambda':
      return Object.freeze({ ...base, type: 'lambda', handler: step.handler, config: Object.freeze({ ...(step.config ?? {}) }) });
    case 'pipeline':
      return Object.freeze({
        ...base,
        type: 'pipeline',
        pipeline: step.pipeline,
        params: Object.freeze({ ...(step.params ?? {}) }),
        paramsFrom: step.paramsFrom ?? null,
      });
    case 'choice':
      return Object.freeze({ ...base, type: 'choice', when: step.when, then: step.then, otherwise: step.otherwise ?? null });
    case 'wait':
      return Object.freeze({
        ...base,
        type: 'wait',
        seconds: step.seconds ?? null,
        durationPath: step.durationPath ?? null,
        until: step.until ?? null,
        signal: step.signal == null ? null : Object.freeze({ name: step.signal.name, timeoutMs: step.signal.timeoutMs ?? null, onTimeout: step.signal.onTimeout ?? 'fail' }),
      });
    case 'map': {
      const iterator = step.iterator;
      return Object.freeze({
        ...base,
        type: 'map',
        items: step.items == null ? null : Object.freeze([...step.items]),
        itemsFrom: step.itemsFrom ?? null,
        // the design's bare items_path names a param (a context update of an earlier step)
        itemsPath: step.itemsPath == null ? null : step.itemsPath.includes('.') ? step.itemsPath : `params.${step.itemsPath}`,
        itemParam: step.itemParam ?? 'item',
        indexParam: step.indexParam ?? null,
        iterator: typeof iterator === 'string' ? iterator : isWorkflowLike(iterator) ? build(iterator) : buildStep(iterator as StepDeclaration),
        maxConcurrency: step.maxConcurrency ?? 4,
        toleratedFailureCount: step.toleratedFailureCount ?? null,
        toleratedFailurePercentage: step.toleratedFailurePercentage ?? null,
        onItemError: step.onItemError ?? 'fail',
        distribute: step.distribute === true ? true : typeof step.distribute === 'string' ? step.distribute : null,
      });
    }
  }
}
