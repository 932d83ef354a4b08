/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testMatch: ['**/*.test.ts'],
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
