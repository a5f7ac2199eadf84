import { defineConfig } from 'vitest/config';

// The unit tests only, for Stryker (stryker.config.mjs): integration and
// end-to-end tests start real binaries and take minutes, once per mutant.
export default defineConfig({
  test: {
    // STRYKER_TESTS narrows the run to the tests of the folder being mutated (see README, Development).
    include: (process.env.STRYKER_TESTS ?? 'test/unit/**/*.test.ts').split(','),
    // Tests that read the built package (dist/) or run promtool are not unit tests of the mutated sources.
    exclude: ['test/unit/api/**', 'test/unit/scripts/**'],
    setupFiles: ['test/stryker-setup.ts'],
    pool: 'forks',
    isolate: true,
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
