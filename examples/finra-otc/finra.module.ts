import type { Container } from 'inversify';
import { FINRA_ENTITIES } from './finra.entities';
import { FinraOtcSchema1780000000000 } from './finra.migration';
import { defaultDataDir, FINRA_OTC_DATA_DIR, OtcFileSource } from './otc-file.source';
import { OtcNotifier } from './otc.notifier';
import { OtcRepository } from './otc.repository';
import { WeeklyRefreshSteps } from './weekly-refresh.handlers';

/** The FINRA example's tables and migrations, for the application's DataSource. */
export const FINRA_SCHEMA = { entities: FINRA_ENTITIES, migrations: [FinraOtcSchema1780000000000] } as const;

/**
 * Binds the FINRA services (file source, repository, notifier). The container must already hold
 * the TypeORM `DataSource` (the repository's dependency).
 */
export function bindFinraServices(container: Container, dataDir: string = defaultDataDir()): void {
  container.bind(FINRA_OTC_DATA_DIR).toConstantValue(dataDir);
  container.bind(OtcFileSource).toSelf().inSingletonScope();
  container.bind(OtcRepository).toSelf().inSingletonScope();
  container.bind(OtcNotifier).toSelf().inSingletonScope();
  container.bind(WeeklyRefreshSteps).toSelf().inSingletonScope();
}
