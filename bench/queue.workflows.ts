import { Step, Workflow } from 'spine-orchestration';

/** The queue benchmark's workflows: a 3-step workflow of trivial lambdas, and a map over its items. */
export const threeSteps = Workflow.define({
  name: 'bench.queue.three_steps',
  steps: [Step.lambda('a', () => ({ a: 1 })), Step.lambda('b', () => ({ b: 2 })), Step.lambda('c', () => ({ c: 3 }))],
});

export const mapItem = Workflow.define({ name: 'bench.queue.item', queue: 'bench-items', steps: [Step.lambda('square', (ctx) => ({ sq: ctx.getParam<number>('item') ** 2 }))] });

const items = Array.from({ length: 1_000 }, (_, i) => i);
export const distributedMap = Workflow.define({
  name: 'bench.queue.distributed_map',
  queue: 'bench-maps',
  steps: [Step.map('fan', { items, iterator: mapItem.name, distribute: true }), Step.lambda('reduce', (ctx) => ({ n: ctx.getOutput('fan', 'succeeded') }))],
});
export const localMap = Workflow.define({
  name: 'bench.queue.local_map',
  steps: [Step.map('fan', { items, iterator: mapItem.name, maxConcurrency: 10 }), Step.lambda('reduce', (ctx) => ({ n: ctx.getOutput('fan', 'succeeded') }))],
});

/** A run that waits for a signal between two steps (parked in a worker meanwhile). */
export const signalled = Workflow.define({
  name: 'bench.queue.signalled',
  queue: 'bench-signals',
  steps: [Step.lambda('before', () => ({ ok: true })), Step.waitForSignal('go'), Step.lambda('after', () => ({ ok: true }))],
});

export const benchWorkflows = [threeSteps, mapItem, distributedMap, localMap, signalled];
