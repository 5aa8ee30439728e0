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
    '^@cloudmap-middy/serverless$': '<rootDir>/packages/serverless/src/index.ts',
    '^@cloudmap-middy/moto-harness$': '<rootDir>/tools/moto-harness/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
}

export default {
  // Coverage: collected by `pnpm test` (the suite's one whole run, CI's too: `--coverage`), not by a run of one file.
  coverageProvider: 'v8',
  collectCoverageFrom: [
    'packages/*/src/**/*.ts',
    // Run only in a process of their own, where Jest does not measure: the check's handler child and what it
    // preloads, and the command line (tested as users run the bin, by packages/check/test/int/cli.test.ts).
    '!packages/check/src/{collect-child,guard,ts-hooks,cli}.ts',
    // Types only: nothing of them runs, and V8 would count each line of a module never loaded as missed.
    '!packages/core/src/types/**',
    '!packages/core/src/{resolver/plan,kinds/received-message}.ts',
  ],
  coverageReporters: ['text-summary', 'json-summary'],
  // A floor per package at the level reached (CONTRIBUTING.md, Coverage): raise it with the tests, never lower it.
  coverageThreshold: {
    './packages/core/src/': { statements: 99, branches: 92, functions: 98, lines: 99 },
    './packages/middy/src/': { statements: 100, branches: 93, functions: 100, lines: 100 },
    './packages/cdk/src/': { statements: 99, branches: 81, functions: 100, lines: 99 },
    './packages/check/src/': { statements: 97, branches: 87, functions: 99, lines: 97 },
    './packages/serverless/src/': { statements: 95, branches: 84, functions: 94, lines: 95 },
  },
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
        '<rootDir>/tools/*/test/**/*.test.ts',
      ],
    },
  ],
}
