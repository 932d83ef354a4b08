// A process that runs (or resumes) one durable workflow and may be killed at any moment.
// argv: <database: a SQLite file or a mysql:// URL> <side-effect log> <child index>
'use strict';
const { appendFileSync } = require('node:fs');
const { join } = require('node:path');
const dist = join(__dirname, '..', '..', '..', 'dist');
const { Step, Workflow, WorkflowRunner, SpineError } = require(join(dist, 'index.js'));
const { createSpineDataSource, sqliteOptions, mysqlOptions, postgresOptions, TypeOrmRunStore } = require(join(dist, 'persistence', 'index.js'));

const [database, log, child] = process.argv.slice(2);
const RUN_ID = 'crash-run';
const STEPS = 80;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const workflow = Workflow.define({
  name: 'crash.durable',
  maxSteps: STEPS + 1,
  steps: Array.from({ length: STEPS }, (_, i) =>
    Step.lambda(`step_${String(i).padStart(2, '0')}`, async (ctx) => {
      appendFileSync(log, `${child} ${ctx.currentStep} ${ctx.stepIdempotencyKey}\n`);
      await sleep(3 + (i % 4));
      return { n: i, previous: i === 0 ? null : ctx.getOutput(`step_${String(i - 1).padStart(2, '0')}`, 'n') };
    }),
  ),
});

(async () => {
  const options = database.startsWith('mysql://') ? mysqlOptions(database) : database.startsWith('postgres://') ? postgresOptions(database) : sqliteOptions(database);
  const dataSource = await createSpineDataSource(options).initialize();
  await dataSource.runMigrations();
  const store = new TypeOrmRunStore(dataSource);
  // Kills land in the same step several times in a row here by design: poison-step detection
  // (a step lost 3 times fails the run) is tested on its own, so it is raised out of the way.
  const runner = new WorkflowRunner({ store, lease: { owner: `child-${child}`, durationMs: 150, heartbeatMs: 40 }, maxLostExecutions: 1000 });
  process.stdout.write('ready\n');
  let result;
  for (;;) {
    const run = await store.getRun(RUN_ID);
    try {
      result = run === null ? await runner.execute(workflow, { runId: RUN_ID }) : await runner.resume(RUN_ID, { workflow });
      break;
    } catch (error) {
      if (error instanceof SpineError && error.kind === 'lease-held') {
        await sleep(20);
        continue;
      }
      throw error;
    }
  }
  process.stdout.write(`done ${result.status}\n`);
  await dataSource.destroy();
})().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
