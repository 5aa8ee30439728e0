// Jest in ESM mode (Middy 7 is ESM only): run through scripts/jest.mjs, which sets --experimental-vm-modules.
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  // TypeDoc copies files (a package.json among them) into docs/api: not part of the suite.
  modulePathIgnorePatterns: ['<rootDir>/docs/api/'],
  moduleNameMapper: {
    '^@cloudmap-middy/core/adapter$': '<rootDir>/packages/core/src/adapter.ts',
    '^@cloudmap-middy/core/declarations$': '<rootDir>/packages/core/src/declarations.ts',
    '^@cloudmap-middy/core/iam$': '<rootDir>/packages/core/src/iam.ts',
    '^@cloudmap-middy/core/registration$': '<rootDir>/packages/core/src/registration.ts',
    '^@cloudmap-middy/core/testing$': '<rootDir>/packages/core/src/testing/index.ts',
    '^@cloudmap-middy/core$': '<rootDir>/packages/core/src/index.ts',
    '^@cloudmap-middy/middy$': '<rootDir>/packages/middy/src/index.ts',
    '^@cloudmap-middy/check/template$': '<rootDir>/packages/check/src/template.ts',
    '^@cloudmap-middy/check$': '<rootDir>/packages/check/src/index.ts',
    '^@cloudmap-middy/cdk$': '<rootDir>/packages/cdk/src/index.ts',
    '^@cloudmap-middy/moto-harness$': '<rootDir>/tools/moto-harness/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
}

export default {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/packages/*/test/unit/**/*.test.ts'] },
    // Integration: each file starts its own moto server (tools/moto-harness) and talks HTTP to it. Round trips to a
    // server process take seconds on a busy machine: Jest's 5 s default timed a test out that waits on nothing else.
    {
      ...shared,
      displayName: 'int',
      testTimeout: 60_000,
      testMatch: [
        '<rootDir>/packages/*/test/int/**/*.test.ts',
        '<rootDir>/examples/*/test/**/*.test.ts',
        '<rootDir>/examples/*/cdk/test/**/*.test.ts',
      ],
    },
  ],
}
