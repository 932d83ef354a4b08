/**
 * Four tiers, one jest project each (`npm run test:unit|test:integration|test:e2e|test:chaos`;
 * `npm test` runs them all):
 * - unit: in-process, memory and embedded SQLite; no build, no server (under a minute).
 * - integration: real databases (a throwaway MariaDB) and the store contract suite; no build.
 * - e2e: the built package and examples in fresh processes (CLI, Nest, console in Chromium).
 * - chaos: real child processes killed, stopped and frozen; asserts from side-effect logs.
 */
const CHAOS = ['chaos', 'queue-chaos', 'deploy-chaos', 'schedule-chaos', 'schedule-skew', 'crash-resume', 'cancel-race'].map((name) => `<rootDir>/test/e2e/${name}.e2e.test.ts`);

/** @type {import('jest').Config} */
const base = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  // inversify 8 ships ES modules only; Jest on Node 20 needs them transformed to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(inversify|@inversifyjs)/)'],
  moduleNameMapper: {
    '^spine-orchestration$': '<rootDir>/src/index.ts',
    '^spine-orchestration/typeorm$': '<rootDir>/src/persistence/index.ts',
    '^spine-orchestration/(.*)$': '<rootDir>/src/$1/index.ts',
  },
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...base, displayName: 'unit', roots: ['<rootDir>/test/unit'], testMatch: ['**/*.test.ts'] },
    {
      ...base,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration', '<rootDir>/test/contract'],
      testMatch: ['**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/setup-databases.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      ...base,
      displayName: 'e2e',
      roots: ['<rootDir>/test/e2e'],
      testMatch: ['**/*.e2e.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...CHAOS],
      globalSetup: '<rootDir>/test/support/setup-built.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      ...base,
      displayName: 'chaos',
      roots: ['<rootDir>/test/e2e'],
      testMatch: CHAOS,
      globalSetup: '<rootDir>/test/support/setup-built.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
