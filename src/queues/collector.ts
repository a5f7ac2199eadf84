/**
 * The one queue health collector loop every backend shares (a `runs` table,
 * BullMQ, pg-boss, graphile-worker): a source reads every queue it covers in
 * one consistent snapshot; this loop runs it on its own unref'd timer, folds
 * raw queue names through the queue label policy, keeps the last successful
 * snapshot, and reports it from the observable gauges of
 * src/catalogue/queue-health.ts, so a scrape never waits for Redis or the
 * database.
 *
 * A failed collection drops the snapshot (the gauges report nothing until the
 * next success: no stale values), sets `queue_health_up` to 0, counts
 * `queue_health_collector_errors_total{backend,reason}` and logs one
 * rate-limited line. Nothing here throws into the application or leaves a
 * rejected promise. Collections never overlap: the next is scheduled when the
 * previous one has ended, and `collectOnce()` joins the one in flight.
 */
import type { Attributes } from '@opentelemetry/api';
import { counter, registerObservation } from '../record/instruments';
import { BoundedLabel } from '../record/validate';
import { OVERFLOW_VALUE } from '../model/canonical';
import { logInfo, warnRateLimited } from '../log';
import {
  QUEUE_HEALTH_ERROR_REASONS,
  queueDepth,
  queueFutureDepth,
  queueHealthCollectorErrors,
  queueHealthUp,
  queueOldestReadyAge,
  queueReadyDepth,
  queueRunningActiveLease,
  queueRunningExpiredLease,
  type QueueHealthBackend,
  type QueueHealthErrorReason,
} from '../catalogue/queue-health';
import type { QueueLabel } from './queue-label';
import { currentRuntime } from '../record/runtime';

/** What one queue looks like in one snapshot, in the backend's own words. */
export interface QueueReading {
  /** The raw queue name; undefined for a source without queues (a table without a queue column). */
  queue: string | undefined;
  /** Jobs by status, as the queue library names its states. */
  depth: ReadonlyMap<string, number>;
  /** Due now, waiting for a worker. */
  ready: number;
  /** Scheduled for later (delayed, run_at/start_after in the future). */
  future: number;
  /** Seconds the oldest ready job has been due; 0 when none is. */
  oldestReadyAgeSeconds: number;
  /** Held by a worker whose lock or lease has expired (stalled: the worker probably died). */
  expiredLeases: number;
  /** Held by a worker with a live lock or lease. */
  activeLeases: number;
}

/** A failed read, already classified. */
export class CollectionError extends Error {
  constructor(
    readonly reason: QueueHealthErrorReason,
    readonly original: unknown,
  ) {
    super(reason);
  }
}

/** One backend's reader. `read()` rejects only with a `CollectionError`. */
export interface QueueHealthSource {
  readonly backend: QueueHealthBackend;
  /** Identity of what is read (e.g. `bullmq:redis://host:6379/0:bull`): one running collector per key. */
  readonly key: string;
  /** Name in log lines (`bullmq`, `pg-boss`...); undefined for the table collector. */
  readonly logName: string | undefined;
  /** Raw queue names always reported, 0 when they hold no job (e.g. the BullMQ queues watched). */
  readonly queues: readonly string[];
  /** Statuses always reported per queue, 0 when absent. */
  readonly statuses: readonly string[];
  read(): Promise<QueueReading[]>;
  /** Release what the source opened itself (never the application's pool or client). */
  close(): Promise<void>;
}

export interface QueueHealthCollector {
  /** Stops the timer, waits for a collection in flight, stops reporting, closes the collector's own connection. Idempotent. */
  stop(): Promise<void>;
  /** Collects now (or joins the collection in flight); resolves when done, never rejects. */
  collectOnce(): Promise<void>;
}

export const INERT_COLLECTOR: QueueHealthCollector = { stop: async () => undefined, collectOnce: async () => undefined };

export interface LoopOptions {
  intervalMillis: number;
  /** Folds raw queue names; undefined when the source has no queue dimension. */
  queueLabel: QueueLabel | undefined;
  /** Cap on distinct `status` label values per collector (later ones fold into `__other__`). */
  maxStatuses: number;
}

/** The keys of the collectors running under the current runtime (one collector per source). */
const RUNNING_KEYS = Object.freeze({});
function runningKeys(): Set<string> {
  return currentRuntime().state<Set<string>>(RUNNING_KEYS, () => new Set());
}

/** Folded values for one queue label. */
interface Folded {
  depth: Map<string, number>;
  ready: number;
  future: number;
  oldestReadyAgeSeconds: number;
  expiredLeases: number;
  activeLeases: number;
}

/** '' stands for "no queue label" in the maps below. */
const NO_QUEUE = '';

function queueAttributes(queue: string): Attributes {
  return queue === NO_QUEUE ? {} : { queue };
}

/** A count or an age: finite and >= 0, else 0 (bigint counts arrive as strings from node-postgres). */
export function nonNegativeNumber(value: unknown): number {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

export function startCollectorLoop(source: QueueHealthSource, options: LoopOptions): QueueHealthCollector {
  const keys = runningKeys();
  if (keys.has(source.key)) {
    throw new Error(`a queue health collector for ${source.key} is already running in this process; stop it first`);
  }
  const statusLabel = new BoundedLabel(options.maxStatuses);
  const label = (raw: string | undefined): string => (raw === undefined || options.queueLabel === undefined ? NO_QUEUE : options.queueLabel.value(raw));
  const logPrefix = source.logName === undefined ? 'queue health collector' : `queue health collector (${source.logName})`;

  /** Every queue label ever reported, with every status ever reported for it: reported as 0 once gone, so no series freezes. */
  const exported = new Map<string, Set<string>>();
  const remember = (queue: string): Set<string> => {
    let statuses = exported.get(queue);
    if (statuses === undefined) {
      statuses = new Set();
      for (const status of source.statuses) {
        const value = statusLabel.value(status);
        if (value !== undefined) statuses.add(value);
      }
      exported.set(queue, statuses);
    }
    return statuses;
  };
  for (const queue of source.queues) remember(label(queue));
  for (const queue of options.queueLabel?.listed ?? []) remember(queue);
  if (options.queueLabel === undefined) remember(NO_QUEUE);

  let snapshot: Map<string, Folded> | undefined;
  /** undefined until the first collection ends; then whether the last one succeeded. */
  let up: boolean | undefined;

  function fold(readings: QueueReading[]): Map<string, Folded> {
    const folded = new Map<string, Folded>();
    for (const reading of readings) {
      const queue = label(reading.queue);
      let into = folded.get(queue);
      if (into === undefined) {
        into = { depth: new Map(), ready: 0, future: 0, oldestReadyAgeSeconds: 0, expiredLeases: 0, activeLeases: 0 };
        folded.set(queue, into);
      }
      for (const [status, n] of reading.depth) {
        const value = statusLabel.value(status) ?? OVERFLOW_VALUE;
        into.depth.set(value, (into.depth.get(value) ?? 0) + nonNegativeNumber(n));
      }
      into.ready += nonNegativeNumber(reading.ready);
      into.future += nonNegativeNumber(reading.future);
      into.expiredLeases += nonNegativeNumber(reading.expiredLeases);
      into.activeLeases += nonNegativeNumber(reading.activeLeases);
      // Queues folded together: the oldest of them.
      into.oldestReadyAgeSeconds = Math.max(into.oldestReadyAgeSeconds, nonNegativeNumber(reading.oldestReadyAgeSeconds));
    }
    return folded;
  }

  async function tick(): Promise<void> {
    try {
      const next = fold(await source.read());
      for (const [queue, values] of next) {
        const statuses = remember(queue);
        for (const status of values.depth.keys()) statuses.add(status);
      }
      snapshot = next;
      if (up === false) logInfo(`${logPrefix}: collecting again; queue gauges are back`);
      up = true;
    } catch (error) {
      snapshot = undefined;
      up = false;
      const { reason, original } = error instanceof CollectionError ? error : new CollectionError('query', error);
      counter(queueHealthCollectorErrors).add(1, { backend: source.backend, reason });
      warnRateLimited(
        `queue-health:${source.key}:${reason}`,
        `${logPrefix}: ${reason} error (${describe(original)}); queue gauges are withheld until a collection succeeds`,
      );
    }
  }

  let inFlight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let stopping: Promise<void> | undefined;

  function collectOnce(): Promise<void> {
    if (stopped) return Promise.resolve();
    return (inFlight ??= tick().finally(() => {
      inFlight = undefined;
    }));
  }

  function schedule(delay: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      // The next collection is scheduled only once this one has ended: never overlapping.
      void collectOnce().then(() => schedule(options.intervalMillis));
    }, delay);
    timer.unref();
  }

  const EMPTY: Folded = { depth: new Map(), ready: 0, future: 0, oldestReadyAgeSeconds: 0, expiredLeases: 0, activeLeases: 0 };
  /** Every queue ever reported: its values now, 0 when the snapshot no longer holds it. */
  function eachQueue(report: (queue: string, values: Folded) => void): void {
    if (snapshot === undefined) return;
    for (const queue of exported.keys()) report(queue, snapshot.get(queue) ?? EMPTY);
  }

  const unregister = [
    registerObservation(queueDepth, (observe) =>
      eachQueue((queue, values) => {
        for (const status of exported.get(queue) ?? []) observe(values.depth.get(status) ?? 0, { ...queueAttributes(queue), status });
      }),
    ),
    ...(
      [
        [queueReadyDepth, (v: Folded) => v.ready],
        [queueFutureDepth, (v: Folded) => v.future],
        [queueOldestReadyAge, (v: Folded) => v.oldestReadyAgeSeconds],
        [queueRunningExpiredLease, (v: Folded) => v.expiredLeases],
        [queueRunningActiveLease, (v: Folded) => v.activeLeases],
      ] as const
    ).map(([decl, value]) => registerObservation(decl, (observe) => eachQueue((queue, values) => observe(value(values), queueAttributes(queue))))),
    registerObservation(queueHealthUp, (observe) => {
      if (up === undefined) return;
      for (const queue of exported.keys()) observe(up ? 1 : 0, { ...queueAttributes(queue), backend: source.backend });
    }),
  ];
  // Every reason exists from the start at 0, so increase()/rate() see the first failure.
  for (const reason of QUEUE_HEALTH_ERROR_REASONS) counter(queueHealthCollectorErrors).add(0, { backend: source.backend, reason });

  keys.add(source.key);
  schedule(0);

  return {
    collectOnce,
    stop: () =>
      (stopping ??= (async () => {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
        for (const stopReporting of unregister) stopReporting();
        await inFlight;
        snapshot = undefined;
        await source.close().catch(() => undefined);
        keys.delete(source.key);
      })()),
  };
}

/** One line, bounded, for the log: never the whole (possibly multi-line) server message. */
export function describe(error: unknown): string {
  const code = typeof (error as { code?: unknown })?.code === 'string' ? ` [${(error as { code: string }).code}]` : '';
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return (message.length > 200 ? message.slice(0, 200) + '…' : message) + code;
}

/** `value` as an integer >= `min`, `fallback` when undefined; throws naming the setting otherwise. */
export function positiveInteger(value: unknown, setting: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return value;
  throw new Error(`${setting} must be an integer >= ${min}`);
}

/** The collection interval when none is given: the running kit's, else the environment's (METRICS_COLLECTOR_INTERVAL). */
export function defaultCollectorInterval(): number {
  return currentRuntime().collectorIntervalMillis;
}

/**
 * Readings from rows grouped by (queue, status), each row carrying its share
 * of ready, future, oldest_ready_age, expired and active (the shape the
 * pg-boss and graphile-worker statements return); `known` queues with no row
 * read 0.
 */
export function readingsFromGroupedRows(rows: readonly Record<string, unknown>[], known: readonly string[]): QueueReading[] {
  const readings = new Map<string, QueueReading & { depth: Map<string, number> }>();
  const reading = (queue: string) => {
    let found = readings.get(queue);
    if (found === undefined) {
      found = { queue, depth: new Map(), ready: 0, future: 0, oldestReadyAgeSeconds: 0, expiredLeases: 0, activeLeases: 0 };
      readings.set(queue, found);
    }
    return found;
  };
  for (const queue of known) reading(queue);
  for (const row of rows) {
    const into = reading(String(row.queue ?? ''));
    const status = String(row.status);
    into.depth.set(status, (into.depth.get(status) ?? 0) + nonNegativeNumber(row.n));
    into.ready += nonNegativeNumber(row.ready);
    into.future += nonNegativeNumber(row.future);
    into.oldestReadyAgeSeconds = Math.max(into.oldestReadyAgeSeconds, nonNegativeNumber(row.oldest_ready_age));
    into.expiredLeases += nonNegativeNumber(row.expired);
    into.activeLeases += nonNegativeNumber(row.active);
  }
  return [...readings.values()];
}
