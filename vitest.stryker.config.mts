import { matchesGlob, relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The unit tests only, for Stryker (stryker.config.mjs): integration and
// end-to-end tests start real binaries and take minutes, once per mutant.
// STRYKER_TESTS narrows the run to the tests of the folder being mutated (see README, Development).
const include = (process.env.STRYKER_TESTS ?? 'test/unit/**/*.test.ts').split(',');

/**
 * Test files run in the order STRYKER_TESTS lists them (the default order puts the files that failed
 * last, then the slowest, first): with Stryker's bail on the first failure, a mutant is killed by the
 * first listed file that catches it, so fast, whole-output checks listed first keep killed mutants cheap.
 */
class ListedOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const path = relative(spec.project.config.root, spec.moduleId);
      const index = include.findIndex((pattern) => matchesGlob(path, pattern));
      return index === -1 ? include.length : index;
    };
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include,
    // Tests that read the built package (dist/) or run promtool are not unit tests of the mutated sources.
    exclude: ['test/unit/api/**', 'test/unit/scripts/**'],
    setupFiles: ['test/stryker-setup.ts'],
    sequence: { sequencer: ListedOrder },
    pool: 'forks',
    isolate: true,
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
