/** Durable runs on TypeORM: `spine-orchestration/typeorm`. */
export { TypeOrmRunStore, type TypeOrmRunStoreOptions } from './typeorm-run.store';
export { createSpineDataSource, withSpineSchema, sqliteOptions, mysqlOptions, postgresOptions, type PostgresConnection, spineMigrations, DEFAULT_SQLITE_FILE } from './data-source';
export { spineEntities, TABLES } from './schema/entities';
export { familyOf, type DriverFamily } from './schema/column-types';
export { InitialSchema1767225600000 } from './migrations/1767225600000-initial-schema';
export { FencingEpochs1767312000000 } from './migrations/1767312000000-fencing-epochs';
export { RunQueue1767398400000 } from './migrations/1767398400000-run-queue';
export { SchedulesSignals1767484800000 } from './migrations/1767484800000-schedules-signals';
export { DurableHotPath1767571200000 } from './migrations/1767571200000-durable-hot-path';
export { DesignSchema1767657600000 } from './migrations/1767657600000-design-schema';
export { RunTraceparent1767744000000 } from './migrations/1767744000000-run-traceparent';
export { SignalDedupeWorkerWorkflows1767830400000 } from './migrations/1767830400000-signal-dedupe-worker-workflows';
export { DeployVersions1767916800000 } from './migrations/1767916800000-deploy-versions';
export { DesignViewNumbers1768003200000 } from './migrations/1768003200000-design-view-numbers';
export { OriginalParams1768089600000 } from './migrations/1768089600000-original-params';
export { runMigrationsExclusively } from './migrations-lock';
export { DEFAULT_MAX_OUTPUT_BYTES } from './json-codec';
export { runInTransaction, type ApplicationTransactionOptions, type IsolationLevel } from './application-transaction';
