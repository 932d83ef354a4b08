// One worker process of the queue chaos test: a RunWorker on the shared database, serving the
// queues 'q' (limited) and 'items'. Every step appends (run, step, epoch, pid, queue, key, time) to
// the shared side-effect log; every claim (run_started / run_resumed) is logged with its epoch.
// argv[2]: JSON { database, log, role: 'worker' | 'enqueue', ... } (see queue-chaos.e2e.test.ts)
'use strict';
const { spine, persistence, config, sleep, log, openDatabase } = require('./child-common.cjs');
const { Step, Workflow, WorkflowRunner, RunWorker } = spine;
const { TypeOrmRunStore } = persistence;
const duration = (base, spread, seed) => base + ((seed * 7919) % spread);
const hash = (text) => [...text].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 100_000, 7);

/** A step that logs its start and end (its run, epoch, queue and concurrency key) around a short sleep. */
const logged =
  (step, ms = 20, queue = 'q') =>
  async (ctx, _config, runtime) => {
    const entry = { run: ctx.runId, step, epoch: runtime.epoch, key: ctx.getParam('key') ?? null, queue };
    log({ ev: 'start', ...entry });
    await sleep(duration(ms, 15, hash(`${ctx.runId}:${step}`)));
    log({ ev: 'end', ...entry });
    return { step, at: Date.now() };
  };

const item = Workflow.define({ name: 'qc.item', queue: 'items', steps: [Step.lambda('work', logged('work', 10, 'items'))] });
const workflows = [
  item,
  Workflow.define({ name: 'qc.linear', queue: 'q', steps: ['a', 'b', 'c'].map((s) => Step.lambda(s, logged(s))) }),
  Workflow.define({
    name: 'qc.choice',
    queue: 'q',
    steps: [
      Step.lambda('a', logged('a')),
      Step.choice('route', { when: (ctx) => ctx.getParam('i') % 2 === 0, then: 'even', otherwise: 'odd' }),
      Step.lambda('even', logged('even'), { next: 'end' }),
      Step.lambda('odd', logged('odd')),
      Step.lambda('end', logged('end')),
    ],
  }),
  Workflow.define({ name: 'qc.wait', queue: 'q', steps: [Step.lambda('a', logged('a')), Step.wait('pause', { seconds: 0.4 }), Step.lambda('b', logged('b'))] }),
  Workflow.define({
    name: 'qc.map',
    queue: 'q',
    steps: [Step.lambda('a', logged('a')), Step.map('fan', { itemsFrom: () => Array.from({ length: 20 }, (_, i) => i), iterator: 'qc.item', distribute: true }), Step.lambda('b', logged('b'))],
  }),
];
const lookup = { get: (name) => workflows.find((w) => w.name === name), names: () => workflows.map((w) => w.name) };

(async () => {
  const dataSource = await openDatabase();
  const store = new TypeOrmRunStore(dataSource);
  const runner = new WorkflowRunner({
    store,
    workflows: lookup,
    lease: { owner: `worker-${process.pid}`, durationMs: config.lease ?? 600, heartbeatMs: config.heartbeat ?? 150 },
    maxLostExecutions: 1000,
    onEvent: (event) => {
      if (event.type === 'run_started' || event.type === 'run_resumed') log({ ev: 'claim', run: event.runId, epoch: event.epoch, first: event.type === 'run_started' });
      if (event.type === 'run_parked') log({ ev: 'parked', run: event.runId });
    },
  });
  if (config.role === 'enqueue') {
    for (const run of config.runs) await runner.enqueue(lookup.get(run.workflow), run.options);
    process.stdout.write('enqueued\n');
    return dataSource.destroy();
  }
  // an execution that lost its lease (its worker paused, starved or cut off from the database past the lease) is logged:
  // a step of it may have outlived the lease, and the queue's slot gone to another run meanwhile
  const runClaimed = runner.runClaimed.bind(runner);
  runner.runClaimed = (claimed, options) =>
    runClaimed(claimed, options).catch((error) => {
      if (error && error.kind === 'lease-lost') log({ ev: 'lost', run: claimed.run.runId, epoch: claimed.run.leaseEpoch });
      throw error;
    });
  const worker = new RunWorker(
    runner,
    store,
    () => lookup.names(),
    config.queues,
    { queues: ['q', 'items'], concurrency: config.concurrency ?? 4, pollIntervalMs: 25, parkAfterMs: 100, heartbeatIntervalMs: 500 },
    {
      warn: (message) => process.stderr.write(`${message}\n`),
    },
    runner.clock,
  );
  worker.start();
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.once('SIGTERM', resolve));
  await worker.stop({ timeoutMs: 5_000 });
  process.stdout.write('stopped\n');
  await dataSource.destroy();
})().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
