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
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  console.log(`FINRA on Nest: ${url}`);
  console.log(`  curl -X POST ${url}/runs/finra.weekly_refresh -H 'content-type: application/json' -d '{"week_ending":"2026-10-23","tier":"NMS Tier 2"}'`);
  console.log(`  curl ${url}/runs/<runId>     (Ctrl-C stops: running steps finish, their runs are handed off)`);
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
