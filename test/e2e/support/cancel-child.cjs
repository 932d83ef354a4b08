// A process that runs one durable workflow whose last step takes a while, so that a cancel from
// another process can land while it runs. argv[2]: { database, runId, lastStepMs }.
'use strict';
const {
  spine: { Spine, Step, Workflow },
  config,
  sleep,
} = require('./child-common.cjs');

const workflow = Workflow.define({
  name: 'cancel.race',
  steps: [
    Step.lambda('first', () => ({ ok: true })),
    Step.lambda('last', async () => {
      process.stdout.write('last-started\n');
      await sleep(config.lastStepMs);
      return { ok: true };
    }),
  ],
});

(async () => {
  const spine = await Spine.create({
    database: /^(mysql|postgres):\/\//.test(config.database) ? config.database : `sqlite:${config.database}`,
    workflows: [workflow],
    recoverOnStart: false,
    logger: { info() {}, warn() {}, error() {} },
  });
  const result = await spine.run('cancel.race', { runId: config.runId });
  process.stdout.write(`done ${result.status}\n`);
  await spine.close();
})().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
