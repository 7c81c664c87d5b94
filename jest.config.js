/**
 * Jest runs in ESM mode (NestJS 12 ships as ES modules); see package.json "test".
 *
 * Tests by cost, one project each (`--selectProjects unit|int|e2e`, or the npm scripts):
 * - unit (`*.unit.spec.ts`): no PostgreSQL, no process; the only project that starts nothing;
 * - int (`*.int.spec.ts`): a real PostgreSQL, the code under test in-process;
 * - e2e (`*.e2e.spec.ts`): the built service (or CLI) as a child process, over HTTP.
 * int and e2e share one PostgreSQL: the global setup of whichever runs first starts it.
 */
const shared = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: [
    '<rootDir>/src',
    '<rootDir>/projections',
    '<rootDir>/legacy-import',
    '<rootDir>/test',
    '<rootDir>/client/src',
    '<rootDir>/client/test',
  ],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
};

const withPostgres = {
  ...shared,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

export default {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['**/*.unit.spec.ts'] },
    { ...withPostgres, displayName: 'int', testMatch: ['**/*.int.spec.ts'] },
    { ...withPostgres, displayName: 'e2e', testMatch: ['**/*.e2e.spec.ts'] },
  ],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
