/**
 * The preload: `node --require otel-workspace-metrics/register app.js` or
 * `node --import otel-workspace-metrics/register app.mjs`. Starts the kit from
 * the environment; bad config logs one line per problem and falls back; any
 * failure leaves the app running without metrics.
 */
import { start } from './sdk/start';
import { installShutdownHooks } from './sdk/lifecycle';
import { logError } from './log';

const LOADED = Symbol.for('otel-workspace-metrics.register');
const state = globalThis as { [LOADED]?: boolean };

if (state[LOADED] !== true) {
  state[LOADED] = true;
  try {
    const kit = start();
    if (kit !== undefined) installShutdownHooks(kit);
  } catch (error) {
    logError(`preload failed (${(error as Error).message}); the application continues without metrics`);
  }
}
