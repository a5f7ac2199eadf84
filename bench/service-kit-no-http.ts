/**
 * The `kit -http` variant of the service benchmark (bench/service.ts),
 * loaded with `--require`: the preload (src/register.ts) with the kit's own
 * HTTP recorder off (`start({ httpServerMetrics: false })`, public API), so
 * the SDK, the runtime metrics and the embedded endpoint run as with the
 * preload but no request is measured. `kit` minus this variant is what the
 * HTTP recorder costs inside the server; this variant minus `none` is what the
 * rest of the kit costs a server that records nothing.
 */
import { start } from '../src/sdk/start';
import { installShutdownHooks } from '../src/sdk/lifecycle';

const kit = start({ httpServerMetrics: false });
if (kit !== undefined) installShutdownHooks(kit);
