import { InMemoryRunStore, type Clock, type RunStore } from 'spine-orchestration';
import { FakeClock } from 'spine-orchestration/testing';
import { TypeOrmRunStore } from '../../../src/persistence';
import { testDrivers, useTestDatabase, type TestDriver } from '../../support/databases';

/** One store the contract runs on. */
export interface ContractStore {
  readonly name: 'memory' | TestDriver;
  /** A store on this backend; on a database every store of a `describe` shares one database (tests use ids of their own). */
  make(options?: { readonly clock?: Clock; readonly maxRuns?: number }): RunStore;
  /** How many random sequences a property-based check runs here (a server is slower than memory). */
  readonly propertyRuns: (memory: number) => number;
}

/**
 * Declares a `describe` per store the contract runs on: memory, SQLite always, MariaDB and
 * PostgreSQL when their servers are available (the setup prints why not otherwise). A third store passes the contract by
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

/** What each contract test works on: a fresh store on a fake clock (2026-06-01T00:00Z, moved by hand), and times relative to it. */
export interface ContractFixture {
  readonly store: RunStore;
  readonly clock: FakeClock;
  /** The fake time now, plus `ms`. */
  at(ms?: number): Date;
}

/** A fresh store and clock before each test of the `describe` it is called in. */
export function freshStorePerTest(backend: ContractStore): ContractFixture {
  const fixture = {
    store: null as unknown as RunStore,
    clock: null as unknown as FakeClock,
    at: (ms = 0): Date => new Date(fixture.clock.now() + ms),
  };
  beforeEach(() => {
    fixture.clock = new FakeClock({ start: Date.parse('2026-06-01T00:00:00Z'), autoAdvance: false });
    fixture.store = backend.make({ clock: fixture.clock });
  });
  return fixture;
}
