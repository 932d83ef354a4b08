import type { Container } from 'inversify';
import { MARKET_ENTITIES } from './market.entities';
import { MarketDataSchema1780000100000, MarketPriceUpdates1780000200000 } from './market.migration';
import { MarketRepository } from './market.repository';
import { defaultPriceDir, MARKET_DATA_DIR, PriceFileSource } from './price-file.source';
import { PriceAggregator } from './price.aggregator';
import { UpdateRateLimiter } from './realtime-update.workflow';

/** The market-data example's tables and migrations, for the application's DataSource. */
export const MARKET_DATA_SCHEMA = { entities: MARKET_ENTITIES, migrations: [MarketDataSchema1780000100000, MarketPriceUpdates1780000200000] } as const;

/** Binds the market-data services; the container must already hold the TypeORM `DataSource`. */
export function bindMarketDataServices(container: Container, priceDir: string = defaultPriceDir()): void {
  container.bind(MARKET_DATA_DIR).toConstantValue(priceDir);
  container.bind(PriceFileSource).toSelf().inSingletonScope();
  container.bind(PriceAggregator).toSelf().inSingletonScope();
  container.bind(MarketRepository).toSelf().inSingletonScope();
  container.bind(UpdateRateLimiter).toSelf().inSingletonScope();
}
