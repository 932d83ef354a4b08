import 'reflect-metadata';
import { Container } from 'inversify';
import { relative, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import type { SpineOptions } from 'spine-orchestration';
import { exampleDataSource } from './example.database';
import { bindFinraServices, FINRA_SCHEMA } from './finra-otc/finra.module';
import { bindMarketDataServices, MARKET_DATA_SCHEMA } from './market-data/market-data.module';

/** The examples' source folder (this file's, or the one it was compiled from). */
const SOURCE_DIR = __filename.endsWith('.ts') ? __dirname : resolve(__dirname, '..', '..', 'examples');

/**
 * The Spine options for the FINRA OTC and market-data examples: their services in an inversify
 * container, their domain tables beside spine's in one database (`<dir>/.spine/spine.db`, or
 * SPINE_DATABASE_URL), and discovery of their workflow and pipeline modules (the TypeScript
 * sources, or the compiled copies when this file runs compiled).
 */
export function examplesConfig(databaseDir: string): SpineOptions {
  const dataSource = exampleDataSource([FINRA_SCHEMA, MARKET_DATA_SCHEMA], databaseDir);
  const container = new Container();
  container.bind(DataSource).toConstantValue(dataSource);
  bindFinraServices(container);
  bindMarketDataServices(container);
  const ext = __filename.endsWith('.ts') ? 'ts' : 'js';
  return {
    container,
    database: dataSource,
    cwd: __dirname,
    // YAML definitions stay in the source tree (the compiled examples find them there)
    discover: [`{finra-otc,market-data}/*.{workflow,pipeline,handlers}.${ext}`, `${ext === 'ts' ? '.' : relative(__dirname, SOURCE_DIR)}/finra-otc/workflows/*.yaml`],
  };
}
