/**
 * The `spine` command line's configuration for this repository: the FINRA OTC and market-data
 * examples, discovered from their TypeScript sources, with their domain tables in the same
 * database as the runs (`.spine/spine.db`, or MySQL/MariaDB when SPINE_DATABASE_URL is set).
 *
 *   npx spine workflows
 *   npx spine run finra.weekly_refresh --param week_ending=2026-10-23 --param tier=OTC
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import { DataSource } from 'typeorm';
import { defineConfig } from 'spine-orchestration';
import { exampleDataSource } from './examples/example.database';
import { bindFinraServices, FINRA_SCHEMA } from './examples/finra-otc/finra.module';
import { bindMarketDataServices, MARKET_DATA_SCHEMA } from './examples/market-data/market-data.module';

export default defineConfig(() => {
  const dataSource = exampleDataSource([FINRA_SCHEMA, MARKET_DATA_SCHEMA], __dirname);
  const container = new Container();
  container.bind(DataSource).toConstantValue(dataSource);
  bindFinraServices(container);
  bindMarketDataServices(container);
  return {
    container,
    database: dataSource,
    discover: ['examples/{finra-otc,market-data}/*.workflow.ts', 'examples/{finra-otc,market-data}/*.pipeline.ts'],
  };
});
