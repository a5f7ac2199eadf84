/**
 * test/helpers/processes.ts registers an `afterAll` cleanup through vitest,
 * which cannot be loaded outside a vitest run. The benchmarks reuse those
 * helpers as plain scripts, so this stands in for the `vitest` module before
 * any helper is loaded; the benchmarks stop every process they start
 * themselves (by PID, through the helpers' `stop()`).
 */
const resolved = require.resolve('vitest');
require.cache[resolved] = {
  id: resolved,
  filename: resolved,
  loaded: true,
  exports: { afterAll: () => undefined },
} as unknown as NodeJS.Module;
