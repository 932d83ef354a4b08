// One process of the rolling-deploy chaos test: a build of the application holding version 1 or
// version 2 of its workflows (and only that version), on the shared database. Every step appends
// (run, step, the version of the code that ran it, epoch, pid) to the side-effect log; every claim
// of a run is logged with the version of the process that took it.
// argv[2]: JSON { database, log, version: 1 | 2, role: 'worker' | 'enqueue' | 'signal' | 'migrate', ... }
'use strict';
const { spine, config, sleep, log, openDatabase } = require('./child-common.cjs');
const { Spine, Step, Workflow } = spine;

const version = config.version;
/** A step that logs its start and end around a short sleep, naming the code version that runs it. */
const logged = (step, ms = 10) =>
  Step.lambda(step, async (ctx, _config, runtime) => {
    const entry = { run: ctx.runId, step, version, epoch: runtime.epoch };
    log({ ev: 'start', ...entry });
    await sleep(ms + (ctx.runId.charCodeAt(ctx.runId.length - 1) % 20));
    log({ ev: 'end', ...entry });
    return { [step]: version };
  });
// version 2 adds a step at the end of every workflow: every definition's hash changes
const tail = version === 2 ? [logged('v2_tail')] : [];
const workflows = [
  // build 1's items take long: a deploy finds maps with items in flight
  Workflow.define({ name: 'dc.item', version, queue: 'items', steps: [logged('work', version === 1 ? 1_500 : 10), ...tail] }),
  Workflow.define({ name: 'dc.linear', version, steps: [logged('a'), logged('b'), logged('c'), ...tail] }),
  Workflow.define({ name: 'dc.signal', version, steps: [logged('a'), Step.waitForSignal('approve'), logged('b'), ...tail] }),
  Workflow.define({ name: 'dc.timer', version, steps: [logged('a'), Step.wait('cool', { seconds: 4 }), logged('b'), ...tail] }),
  Workflow.define({
    name: 'dc.map',
    version,
    steps: [logged('a'), Step.map('fan', { itemsFrom: () => [0, 1, 2, 3, 4], iterator: 'dc.item', distribute: 'items' }), logged('b'), ...tail],
  }),
];

(async () => {
  const dataSource = await openDatabase();
  const worker = config.role === 'worker' ? { queues: ['default', 'items'], concurrency: 6, pollIntervalMs: 25, parkAfterMs: 100, heartbeatIntervalMs: 300 } : false;
  const app = await Spine.create({
    database: dataSource,
    workflows,
    appVersion: `build-${version}`,
    lease: { owner: `v${version}-${config.role}-${process.pid}`, durationMs: 1_000, heartbeatMs: 200 },
    recoverOnStart: config.role === 'worker',
    strandedAfterMs: 0,
    worker,
    logger: { info: () => undefined, warn: (_fields, message) => process.stderr.write(`${message}\n`), error: (_fields, message) => process.stderr.write(`${message}\n`) },
    onEvent: (event) => {
      if ((event.type === 'run_started' || event.type === 'run_resumed') && event.epoch !== undefined) log({ ev: 'claim', run: event.runId, epoch: event.epoch, version });
      if (event.type === 'run_parked') log({ ev: 'parked', run: event.runId, version });
      if (event.type === 'run_stranded') log({ ev: 'stranded-met', run: event.runId, version });
    },
  });
  if (config.role === 'enqueue') {
    const ids = [];
    for (const run of config.runs) ids.push((await app.enqueue(run.workflow, { params: { i: run.i } })).runId);
    process.stdout.write(`enqueued ${JSON.stringify(ids)}\n`);
  } else if (config.role === 'signal') {
    for (const runId of config.runIds) await app.signal(runId, 'approve', { by: 'chaos' });
    process.stdout.write('signalled\n');
  } else if (config.role === 'migrate') {
    // what a v2 process sees before it moves anything: every unfinished v1 run is reported stranded
    const stranded = await app.strandedRuns({ limit: 10_000 });
    process.stdout.write(`stranded ${JSON.stringify(stranded.map((s) => ({ runId: s.runId, workflow: s.workflowName, version: s.version, status: s.status })))}\n`);
    const moved = [];
    const itemsMoved = [];
    for (const name of ['dc.linear', 'dc.signal', 'dc.timer', 'dc.map']) {
      // runs still held by a live lease (a killed worker's, until it expires) are left: go again
      log({ ev: 'migrating', run: '-', step: name, version: 2 });
      for (let pass = 0; pass < 20; pass++) {
        const result = await app.migrateRuns(name, { from: 1 });
        for (const run of result.runs.filter((r) => r.moved)) {
          log({ ev: 'migrated', run: run.runId, version: 2 });
          moved.push(run.runId);
          itemsMoved.push(run.itemsMoved);
        }
        if (result.left === 0) break;
        await sleep(300);
      }
    }
    process.stdout.write(`migrated ${JSON.stringify({ moved, items: itemsMoved.reduce((a, b) => a + b, 0) })}\n`);
  } else {
    process.stdout.write('ready\n');
    await new Promise((resolve) => process.once('SIGTERM', resolve));
    await app.close({ timeoutMs: 5_000 });
    process.stdout.write('stopped\n');
    await dataSource.destroy();
    return;
  }
  await app.close();
  await dataSource.destroy();
})().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
