// A worker process whose own clock is off by `skewMs` (Date.now and new Date() both), firing one
// schedule every second (catch-up 'latest', the default). argv[2]: JSON { database, skewMs }.
'use strict';
const skew = JSON.parse(process.argv[2]).skewMs;
const RealDate = Date;
const realNow = Date.now.bind(Date);
class SkewedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(realNow() + skew);
    else super(...args);
  }
  static now() {
    return realNow() + skew;
  }
}
globalThis.Date = SkewedDate;

const { spine, openDatabase } = require('./child-common.cjs');
const { Spine, Step, Workflow } = spine;

(async () => {
  const dataSource = await openDatabase();
  const app = await Spine.create({
    database: dataSource,
    workflows: [Workflow.define({ name: 'skew.tick', queue: 'skew', steps: [Step.lambda('tick', (ctx) => ({ fire: ctx.getParam('fire') }))] })],
    schedules: [{ name: 'skew.every-second', workflow: 'skew.tick', cron: '* * * * * *', params: (fireTime) => ({ fire: fireTime.toISOString() }) }],
    recoverOnStart: false,
    logger: { warn: () => undefined, info: () => undefined },
  });
  app.startWorker({ queues: ['skew'], concurrency: 4, pollIntervalMs: 50, scheduler: { maxSleepMs: 100 } });
  console.log('ready');
  process.on('SIGTERM', () => void app.close({ timeoutMs: 2_000 }).then(() => process.exit(0)));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
