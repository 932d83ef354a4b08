/**
 * A worker process of the queue benchmark (`bench/queue.bench.ts` starts 1, 2 or 4 of them):
 * serves `config.queue` with `config.concurrency` runs at once until SIGTERM.
 * argv[2]: JSON { database, queue, concurrency }
 */
import { RunWorker, WorkflowRunner } from 'spine-orchestration';
import { createSpineDataSource, mysqlOptions, postgresOptions, sqliteOptions, TypeOrmRunStore } from 'spine-orchestration/typeorm';
import { benchWorkflows } from './queue.workflows';

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as { database: string; queue: string; concurrency: number };
  const options = config.database.startsWith('mysql://')
    ? mysqlOptions(config.database)
    : config.database.startsWith('postgres://')
      ? postgresOptions(config.database)
      : sqliteOptions(config.database);
  const dataSource = await createSpineDataSource(options).initialize();
  const store = new TypeOrmRunStore(dataSource);
  const lookup = { get: (name: string) => benchWorkflows.find((w) => w.name === name), names: () => benchWorkflows.map((w) => w.name) };
  const runner = new WorkflowRunner({ store, workflows: lookup });
  const worker = new RunWorker(runner, store, () => lookup.names(), {}, { queues: [config.queue], concurrency: config.concurrency, pollIntervalMs: 10 }, console, runner.clock);
  worker.start();
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.once('SIGTERM', resolve));
  await worker.stop();
  await dataSource.destroy();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
