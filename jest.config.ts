import type { Config } from 'jest';

// ESM throughout: chalk 5 and other dependencies are ESM-only, and Jest's CJS mode
// cannot require() them on Node 20. Jest runs under `node --experimental-vm-modules`
// (see the `test` script) with ts-jest's default-esm preset.
const config: Config = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: {
    // Source files import siblings with the `.js` extension NodeNext requires.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }],
  },
  testTimeout: 60_000,
  // Real servers on loopback (sandbox, LDAP) are started per test file; keep files apart
  // on this two-core machine so port and CPU contention stay low.
  maxWorkers: 2,
};

export default config;
