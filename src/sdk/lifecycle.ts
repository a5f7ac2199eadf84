/**
 * Flushing at the end of the process without changing how the app exits.
 * A signal listener would normally stop Node's default exit-on-signal; so when
 * the app has no listener of its own, ours flushes and then re-raises the
 * signal with our listener removed: the process dies by the signal, as before.
 */
import type { Kit } from './start';
import { flushOnExit } from './exit-flush';
import { withDeadline } from '../deadline';

/** Bounded, and never rejecting: a slow or failing export must not hold up or break the exit. */
function settleWithin(work: Promise<void>, ms: number): Promise<void> {
  return withDeadline(work, ms).catch(() => undefined);
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function installShutdownHooks(kit: Kit): void {
  const budget = kit.config.exportTimeoutMillis;
  let shuttingDown: Promise<void> | undefined;
  let shutDown = false;
  const shutdownOnce = (): Promise<void> =>
    (shuttingDown ??= settleWithin(kit.shutdown(), budget).then(() => {
      shutDown = true;
    }));

  for (const signal of SIGNALS) {
    const onSignal = (): void => {
      const appListens = process.listenerCount(signal) > 1;
      if (appListens) {
        // The app owns shutdown; export what we have now and keep recording until it exits.
        void settleWithin(kit.forceFlush(), budget);
        return;
      }
      void shutdownOnce().finally(() => {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      });
    };
    process.on(signal, onSignal);
  }
  process.on('beforeExit', () => {
    void shutdownOnce();
  });
  // process.exit() (or an exit before the async shutdown finished): a synchronous last export.
  process.on('exit', () => {
    if (!shutDown) flushOnExit(kit);
  });
}
