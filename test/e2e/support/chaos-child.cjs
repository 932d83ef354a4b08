// One process of the chaos test: it owns, recovers or cancels a durable run, and appends every
// side effect to a shared log (one JSON object per line) with its time, epoch and pid.
// argv[2]: JSON { database, log, role, runId, workflow, lease, heartbeat, ... } (see chaos.e2e.test.ts)
'use strict';
const { readFileSync } = require('node:fs');
const { spine, persistence, config, sleep, log, openDatabase } = require('./child-common.cjs');
const { Step, Workflow, WorkflowRunner, StepResult } = spine;
const { TypeOrmRunStore } = persistence;
const spin = (ms) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};
/** A step body: logs its start and end around `work` (synchronous when `work` is). Map items log their index. */
const logged = (step, work) => (ctx, _config, runtime) => {
  const entry = { run: ctx.runId.split(':')[0], step, item: step === 'work' ? ctx.getParam('n') : null, epoch: runtime.epoch };
  log({ ev: 'start', ...entry, key: runtime.idempotencyKey });
  const result = work(ctx, runtime);
  if (result === null || typeof result !== 'object' || typeof result.then !== 'function') {
    log({ ev: 'end', ...entry });
    return result;
  }
  return result.then((value) => (log({ ev: 'end', ...entry }), value));
};
// deterministic per step so that every process agrees
const duration = (base, spread, n) => base + ((n * 7919) % spread);

const item = Workflow.define({
  name: 'chaos.item',
  steps: [
    Step.lambda(
      'work',
      logged('work', (ctx) => {
        const n = ctx.getParam('n');
        if (config.syncItems) return { n };
        if (n === ctx.getParam('fail_item')) return sleep(5).then(() => StepResult.fail(`item ${n} failed on purpose`));
        return sleep(duration(config.itemMs ?? 40, 20, n)).then(() => ({ n }));
      }),
    ),
  ],
});

const workflows = {
  'chaos.sequential': Workflow.define({
    name: 'chaos.sequential',
    maxSteps: 100,
    steps: Array.from({ length: config.steps ?? 20 }, (_, i) =>
      Step.lambda(
        `s${String(i).padStart(2, '0')}`,
        logged(`s${String(i).padStart(2, '0')}`, () => sleep(duration(30, 20, i)).then(() => ({ i }))),
      ),
    ),
  }),
  'chaos.map': Workflow.define({
    name: 'chaos.map',
    steps: [
      Step.lambda(
        'prepare',
        logged('prepare', () => ({ ready: true })),
      ),
      Step.map('fan', { itemsFrom: (ctx) => Array.from({ length: ctx.getParam('items') }, (_, i) => i), itemParam: 'n', iterator: item, maxConcurrency: config.concurrency ?? 4 }),
      Step.lambda(
        'after',
        logged('after', () => ({ done: true })),
      ),
    ],
  }),
};
const lookup = { get: (name) => workflows[name] ?? (name === 'chaos.item' ? item : undefined), names: () => [...Object.keys(workflows), 'chaos.item'] };

(async () => {
  const dataSource = await openDatabase();
  if (config.role === 'migrate') {
    process.stdout.write('migrated\n');
    return dataSource.destroy();
  }
  const store = new TypeOrmRunStore(dataSource);
  const runner = new WorkflowRunner({
    store,
    workflows: lookup,
    lease: { owner: `${config.role}-${process.pid}`, durationMs: config.lease ?? 500, heartbeatMs: config.heartbeat ?? 100 },
    maxLostExecutions: 1000,
    onEvent: (event) => {
      if ((event.type === 'run_started' || event.type === 'run_resumed') && event.parentRunId === undefined) log({ ev: 'claim', run: event.runId, epoch: event.epoch });
      if (event.type === 'run_cancelled' && event.parentRunId === undefined) log({ ev: 'cancel-observed', run: event.runId });
    },
  });
  process.stdout.write('ready\n');
  const finished = async () => ['completed', 'failed', 'cancelled'].includes((await store.getRun(config.runId))?.status);
  const recoverLoop = async (until) => {
    while (!(await until())) {
      await runner.recover().catch((error) => process.stderr.write(`recover: ${error.message}\n`));
      await sleep(config.recoverEveryMs ?? 50);
    }
  };
  let outcome;
  if (config.role === 'owner') {
    const running = runner.execute(workflows[config.workflow], { runId: config.runId, params: config.params ?? {} }).then(
      (r) => `result ${r.status}`,
      (e) => `error ${e.kind ?? e.name}: ${e.message}`,
    );
    if (config.recoverToo) {
      let done = false;
      void running.then(() => (done = true));
      await recoverLoop(async () => done);
    }
    outcome = await running;
    if (config.resumeAfter) {
      log({ ev: 'resolved', run: config.runId });
      if (config.purgeFirst) await store.purge({ before: new Date(Date.now() + 60_000), keepFailed: true });
      outcome += ` | resumed ${(await runner.resume(config.runId, { paramsOverride: { fail_item: -1 } })).status}`;
    }
  } else if (config.role === 'recoverer') {
    const deadline = Date.now() + (config.maxMs ?? 20_000);
    await recoverLoop(async () => (await finished()) || Date.now() > deadline);
    outcome = `run ${(await store.getRun(config.runId))?.status}`;
  } else if (config.role === 'cancel') {
    // ready before the run starts: waits for its claim in the log, then for `delayMs`
    while (!readFileSync(config.log, 'utf8').includes(`"ev":"claim","run":"${config.runId}"`)) await sleep(5);
    await sleep(config.delayMs ?? 0);
    const run = await runner.cancel(config.runId);
    log({ ev: 'cancel', run: config.runId });
    outcome = `cancel ${run.status}`;
  } else if (config.role === 'freeze-sqlite') {
    // holds SQLite's write lock, as a frozen database server would hold every writer
    const db = dataSource.driver.databaseConnection;
    db.exec('BEGIN EXCLUSIVE');
    log({ ev: 'frozen', run: config.runId });
    spin(config.freezeMs);
    db.exec('COMMIT');
    log({ ev: 'thawed', run: config.runId });
    outcome = 'thawed';
  } else throw new Error(`unknown role ${config.role}`);
  process.stdout.write(`${outcome}\n`);
  await dataSource.destroy();
})().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
