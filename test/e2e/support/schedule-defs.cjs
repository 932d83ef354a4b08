// What the schedule chaos test and its worker processes share: the schedules and the workflow.
'use strict';

/** A made-up exchange holiday in the simulated week, so the trading-day schedule skips one day. */
const HOLIDAY = '2027-03-03';

/** The two schedules of 'sc.tick', both catching up every missed fire. */
function scheduleDeclarations({ tradingCalendar }) {
  const calendar = tradingCalendar({ name: 'XTEST', timeZone: 'America/New_York', holidays: [HOLIDAY] });
  const params = (fireTime) => ({ fire: fireTime.toISOString() });
  return [
    { name: 'every-15-min', workflow: 'sc.tick', cron: '*/15 * * * *', catchUp: 'all', maxCatchUp: 100_000, params },
    { name: 'trading-close', workflow: 'sc.tick', cron: '0 18 * * *', calendar, catchUp: 'all', maxCatchUp: 100_000, params },
  ];
}

/** tick (logged) → wait for 'ack' → done. */
function tickWorkflow(Step, Workflow, log) {
  return Workflow.define({
    name: 'sc.tick',
    queue: 'sc',
    steps: [
      Step.lambda('tick', (ctx, _config, runtime) => {
        log({ ev: 'start', run: ctx.runId, step: 'tick', epoch: runtime.epoch });
        return { fire: ctx.getParam('fire') };
      }),
      Step.waitForSignal('ack', { timeoutMs: 120_000 }),
      Step.lambda('done', (ctx) => ({ acked: ctx.getOutput('ack', 'fire') === ctx.getParam('fire') })),
    ],
  });
}

module.exports = { HOLIDAY, scheduleDeclarations, tickWorkflow };
