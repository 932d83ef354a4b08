/**
 * Engine benchmark: `npm run bench`. Every figure is compared with a floor measured in the same
 * process, so the ratios mean something on a noisy machine.
 *
 *   1. a 10-step lambda workflow run back-to-back vs. a plain loop awaiting the same functions
 *   2. a 1,000-step workflow's cost per step divided by the 10-step figure (should stay near 1)
 *   3. a map over 10,000 items at concurrency 16
 * then the durable engine against its database floors (durable.bench.ts), reads as history grows
 * (history.bench.ts), the console's API and runs page at 1 k and 100 k runs (console.bench.ts), cancel latency (cancel.bench.ts), the run queue (queue.bench.ts) and the CLI's start-up (cli.bench.ts); last,
 * the table of targets. `npm run bench -- --check` exits non-zero when a target is missed by more
 * than 20 % (run it on a quiet machine).
 */
import { Step, Workflow, WorkflowRunner, type LambdaHandler, type StepRuntime, type WorkflowContext } from 'spine-orchestration';
import { cancelBenchmark } from './cancel.bench';
import { cliBenchmark } from './cli.bench';
import { consoleBenchmark } from './console.bench';
import { durableBenchmark } from './durable.bench';
import { historyBenchmark } from './history.bench';
import { targetReport, track } from './targets';
import { queueBenchmark } from './queue.bench';

const ROUNDS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Subject {
  readonly units: number;
  readonly run: () => Promise<unknown>;
}

/**
 * Measures the subjects in interleaved rounds (so each sees the same heap and machine state) and
 * returns each one's median microseconds per unit.
 */
async function measure(subjects: readonly Subject[], msPerRound: number): Promise<number[]> {
  for (const subject of subjects) for (let i = 0; i < 20; i++) await subject.run();
  const rounds: number[][] = subjects.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, subject] of subjects.entries()) {
      let count = 0;
      const start = performance.now();
      let elapsed = 0;
      while (elapsed < msPerRound) {
        await subject.run();
        count++;
        elapsed = performance.now() - start;
      }
      rounds[k]!.push((elapsed * 1000) / (count * subject.units));
    }
  }
  return rounds.map(median);
}

const lambdas: LambdaHandler[] = Array.from({ length: 1000 }, (_, i) => (ctx: WorkflowContext) => ({ i, prev: ctx.getParam('seed', 0) }));

function lambdaWorkflow(steps: number) {
  return Workflow.define({
    name: `bench.lambda_${steps}`,
    maxSteps: steps + 1,
    steps: lambdas.slice(0, steps).map((fn, i) => Step.lambda(`s${i}`, fn)),
  });
}

function row(label: string, value: string, note = ''): string {
  return `| ${label.padEnd(64)} | ${value.padStart(14)} | ${note.padEnd(40)} |`;
}

async function main(): Promise<void> {
  const runner = new WorkflowRunner();
  const ten = lambdaWorkflow(10);
  const thousand = lambdaWorkflow(1000);
  const ctx = (await runner.execute(ten)).context;
  const config = Object.freeze({});
  const runtime: StepRuntime = { signal: new AbortController().signal, attempt: 1, idempotencyKey: 'bench', scope: { getOrCreate: (_k, create) => create() }, epoch: 0 };

  const [floorUs, tenUs, thousandUs] = (await measure(
    [
      {
        units: 10,
        run: async () => {
          for (let i = 0; i < 10; i++) await lambdas[i]!(ctx, config, runtime);
        },
      },
      { units: 10, run: () => runner.execute(ten) },
      { units: 1000, run: () => runner.execute(thousand) },
    ],
    400,
  )) as [number, number, number];

  const mapItems = Array.from({ length: 10_000 }, (_, i) => i);
  const mapWorkflow = Workflow.define({
    name: 'bench.map',
    steps: [
      Step.map('fan_out', {
        items: mapItems,
        itemParam: 'n',
        maxConcurrency: 16,
        iterator: Step.lambda('square', (c) => ({ square: c.getParam<number>('n') ** 2 })),
      }),
    ],
  });
  const [mapUs] = (await measure(
    [
      {
        units: 10_000,
        run: async () => {
          const result = await runner.execute(mapWorkflow);
          if (result.status !== 'completed') throw new Error(`map run ${result.status}: ${result.error}`);
        },
      },
    ],
    500,
  )) as [number];

  const lines = [
    `spine-orchestration engine benchmark — node ${process.version}, ${new Date().toISOString()}`,
    '',
    row('measure', 'value', 'against the floor'),
    row('-'.repeat(64), '-'.repeat(14), '-'.repeat(40)),
    row('floor: plain awaited call of the same lambdas', `${floorUs.toFixed(3)} µs`, `${(1 / floorUs).toFixed(2)} M calls/s`),
    row(
      '10-step lambda workflow, per step (run start and end included)',
      `${tenUs.toFixed(2)} µs`,
      `${(tenUs / floorUs).toFixed(1)}× floor; ${track('in-memory 10-step workflow, µs per step', tenUs, 3, 'max').replace('×', ' µs')}`,
    ),
    row('10-step lambda workflow, steps/s', `${Math.round(1e6 / tenUs).toLocaleString('en-US')}`, ''),
    row('1,000-step lambda workflow, per step', `${thousandUs.toFixed(2)} µs`, `${(thousandUs / floorUs).toFixed(1)}× floor`),
    row('growth: 1,000-step ÷ 10-step per-step cost', `${(thousandUs / tenUs).toFixed(2)}`, 'target ≤ 1.3'),
    row('map over 10,000 items, concurrency 16, items/s', `${Math.round(1e6 / mapUs).toLocaleString('en-US')}`, `${mapUs.toFixed(2)} µs per item`),
  ];
  track('in-memory: 1,000-step ÷ 10-step per-step cost', thousandUs / tenUs, 1.3, 'max');
  console.log(lines.join('\n'));
  console.log('');
  console.log((await durableBenchmark()).join('\n'));
  console.log('');
  console.log((await historyBenchmark()).join('\n'));
  console.log('');
  console.log((await consoleBenchmark()).join('\n'));
  console.log('');
  console.log((await cancelBenchmark()).join('\n'));
  console.log('');
  console.log((await queueBenchmark()).join('\n'));
  console.log('');
  console.log(cliBenchmark().join('\n'));
  const { lines: report, missed } = targetReport();
  console.log('');
  console.log(report.join('\n'));
  if (process.argv.includes('--check') && missed.length > 0) {
    console.error(`\n--check: ${missed.length} target(s) missed by more than 20 %: ${missed.map((t) => t.label).join('; ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
