import { InMemoryRunStore, type Clock, type RunStore } from 'spine-orchestration';
import { TypeOrmRunStore } from '../../../src/persistence';
import { testDrivers, useTestDatabase } from '../../support/databases';

/** One store the contract runs on. */
export interface ContractStore {
  readonly name: 'memory' | 'sqlite' | 'mariadb';
  /** A store on this backend; on a database every store of a `describe` shares one database (tests use ids of their own). */
  make(options?: { readonly clock?: Clock; readonly maxRuns?: number }): RunStore;
  /** How many random sequences a property-based check runs here (a server is slower than memory). */
  readonly propertyRuns: (memory: number) => number;
}

/**
 * Declares a `describe` per store the contract runs on: memory, SQLite always, MariaDB when a
 * server is available (the setup prints why not otherwise). A third store passes the contract by
 * adding itself here.
 */
export function describeEachStore(title: string, body: (store: ContractStore) => void): void {
  describe(`${title} (memory)`, () => body({ name: 'memory', make: (options = {}) => new InMemoryRunStore({ maxRuns: 1_000_000, ...options }), propertyRuns: (n) => n }));
  for (const driver of testDrivers()) {
    describe(`${title} (${driver})`, () => {
      const database = useTestDatabase(driver);
      body({
        name: driver,
        make: (options = {}) => new TypeOrmRunStore(database().dataSource, options.clock === undefined ? {} : { clock: options.clock }),
        propertyRuns: (n) => Math.max(10, Math.round(n / (driver === 'sqlite' ? 3 : 12))),
      });
    });
  }
}

let sequence = 0;
/** An id no other test of this run uses (the database outlives one test). */
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${sequence++}`;
}
