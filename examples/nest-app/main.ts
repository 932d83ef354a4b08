/**
 * `npm run example:nest`: the FINRA weekly refresh in a Nest application.
 *
 *   curl -X POST localhost:3000/runs/finra.weekly_refresh -H 'content-type: application/json' \
 *        -d '{"week_ending":"2026-10-23","tier":"NMS Tier 2"}'
 *   curl localhost:3000/runs/<runId>
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule.register());
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, '127.0.0.1');
  console.log(`FINRA on Nest: http://127.0.0.1:${port}`);
  console.log(`  curl -X POST http://127.0.0.1:${port}/runs/finra.weekly_refresh -H 'content-type: application/json' -d '{"week_ending":"2026-10-23","tier":"NMS Tier 2"}'`);
  console.log(`  curl http://127.0.0.1:${port}/runs/<runId>     (Ctrl-C stops: running steps finish, their runs are handed off)`);
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
