import type { StepDefinition } from '../definition/step-definition';
import type { WorkflowDefinition } from '../definition/workflow-definition';
import type { StoreCapability } from '../store/ports/spine-store';

/** A capability a step needs of the store, and why. */
export interface StoreNeed {
  readonly capability: StoreCapability;
  readonly step: string;
  readonly why: string;
}

/**
 * What a workflow needs of its store beyond the journal, leases and history: a run queue for a
 * distributed map, signals for a signal wait or an 'approve' quality gate — its own steps and
 * those of inline iterators (an iterator named by its workflow is checked as a workflow).
 */
export function storeNeeds(definition: WorkflowDefinition): StoreNeed[] {
  const needs: StoreNeed[] = [];
  const visit = (step: StepDefinition, path: string): void => {
    const name = path === '' ? step.name : `${path} > ${step.name}`;
    if (step.qualityMode === 'approve') needs.push({ capability: 'signals', step: name, why: "an 'approve' quality gate waits for a signal" });
    if (step.type === 'wait' && step.signal !== null) needs.push({ capability: 'signals', step: name, why: `it waits for the signal "${step.signal.name}"` });
    if (step.type === 'map') {
      if (step.distribute !== null) needs.push({ capability: 'queue', step: name, why: 'a distributed map enqueues its items' });
      const iterator = step.iterator;
      if (typeof iterator === 'object' && 'steps' in iterator) for (const inner of iterator.steps) visit(inner, name);
      else if (typeof iterator === 'object') visit(iterator, name);
    }
  };
  for (const step of definition.steps) visit(step, '');
  return needs;
}
