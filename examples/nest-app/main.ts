/**
 * `npm run example:nest`: the FINRA weekly refresh in a Nest application.
 *
 *   curl -X POST localhost:3000/runs/finra.weekly_refresh -H 'content-type: application/json' \
 *        -d '{"week_ending":"2026-10-23","tier":"NMS Tier 2"}'
 *   curl localhost:3000/runs/<runId>
 *
 * On PostgreSQL (after `npm i pg`): SPINE_DATABASE_URL=postgres://user:pass@127.0.0.1:5432/app npm run example:nest
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const database = process.env.SPINE_DATABASE_URL?.trim();
  const app = await NestFactory.create(AppModule.register(database ? { database } : {}));
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
