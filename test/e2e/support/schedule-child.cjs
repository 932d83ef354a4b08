// One worker process of the schedule chaos test: a Spine on the shared database whose scheduler
// reads an accelerated clock (simulated = t0 + (real - r0) × speed, or frozen at `freezeAt`), firing
// two schedules of 'sc.tick': every 15 minutes, and 18:00 New York on trading days. Each run ticks
// (logged), waits for the signal 'ack' (sent by the test process) and ends.
// argv[2]: JSON { database, log, t0, r0, speed, freezeAt? }
'use strict';
const { spine, config, log, openDatabase } = require('./child-common.cjs');
const { Spine, Step, Workflow } = spine;
const { scheduleDeclarations, tickWorkflow } = require('./schedule-defs.cjs');

(async () => {
  const dataSource = await openDatabase();
  const now = config.freezeAt !== undefined ? () => config.freezeAt : () => config.t0 + (Date.now() - config.r0) * config.speed;
  const app = await Spine.create({
    database: dataSource,
    workflows: [tickWorkflow(Step, Workflow, log)],
    schedules: scheduleDeclarations(spine),
    recoverOnStart: false,
    lease: { owner: `worker-${process.pid}`, durationMs: 1_000, heartbeatMs: 200 },
    maxLostExecutions: 1000,
    logger: { warn: () => undefined, info: () => undefined },
    onEvent: (event) => {
      if (event.type === 'run_started' || event.type === 'run_resumed') log({ ev: 'claim', run: event.runId, epoch: event.epoch, first: event.type === 'run_started' });
      if (event.type === 'run_parked') log({ ev: 'parked', run: event.runId });
    },
  });
  app.startWorker({ queues: ['sc'], concurrency: 8, pollIntervalMs: 20, scheduler: { now, maxSleepMs: 10 } });
  console.log('ready');
  process.on('SIGTERM', () => void app.close({ timeoutMs: 2_000 }).then(() => process.exit(0)));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
