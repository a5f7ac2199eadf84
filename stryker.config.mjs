// Mutation testing (npm run test:mutation): Stryker with the vitest runner and
// the TypeScript checker over the code whose tests should catch wrong logic.
// Not part of `npm test` or CI's default run: on 2 shared cores a folder takes
// minutes to tens of minutes. Scope a run with --mutate, e.g.
//   nice -n 10 npx stryker run --mutate 'src/fast/**/*.ts'
// The HTML/JSON reports land in reports/mutation/ (not committed).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.mts' },
  checkers: ['typescript'],
  // The checker rejects mutants that do not compile; the sources alone are enough (and much faster than with the tests).
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: ['src/policy/**/*.ts', 'src/fast/**/*.ts', 'src/record/**/*.ts', 'src/http/route*.ts', 'src/ops/**/*.ts'],
  // The Helm chart's files/ holds symlinks to directories (prometheus/rules, grafana/dashboards), which
  // Stryker's sandbox copy cannot copy (EISDIR); no unit test reads the chart.
  ignorePatterns: ['otel-collector/deploy/helm'],
  coverageAnalysis: 'perTest',
  // Module-level mutants re-run every test; the declarations they would hit are pinned by name elsewhere.
  ignoreStatic: true,
  concurrency: 1,
  timeoutMS: 30_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
