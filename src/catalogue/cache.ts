/**
 * Caches: operations by result, entries held, evictions.
 * The hit ratio is computed in PromQL from the operations counter, never
 * exported as a gauge (a ratio gauge cannot be aggregated across processes):
 *
 *   sum by (cache) (rate(cache_operations_total{result="hit"}[5m]))
 *   / sum by (cache) (rate(cache_operations_total{result=~"hit|miss"}[5m]))
 */
import type { Attributes } from '@opentelemetry/api';
import type { MetricDeclaration } from '../model/types';
import { counter } from '../record/instruments';
import { CurrentValues, defineObserver } from '../record/current-value';
import { LabelCap, defineRecorder, nonNegative, oneOf, required } from '../record/validate';

export const cacheOperations: MetricDeclaration = {
  name: 'cache.operations',
  kind: 'counter',
  unit: '{operation}',
  description: 'Cache operations by cache, operation and result (hit/miss for lookups).',
  labels: ['cache', 'operation', 'result'],
};

export const cacheSize: MetricDeclaration = {
  name: 'cache.size',
  kind: 'observableGauge',
  unit: '{entry}',
  description: 'Entries currently held, per cache.',
  labels: ['cache'],
};

export const cacheEvictions: MetricDeclaration = {
  name: 'cache.evictions',
  kind: 'counter',
  unit: '{eviction}',
  description: 'Entries evicted, per cache and reason.',
  labels: ['cache', 'reason'],
};

export const CACHE_METRICS = [cacheOperations, cacheSize, cacheEvictions] as const;

/** `hit`/`miss` for lookups; `ok`/`error` for writes, deletes and invalidations. */
export const CACHE_RESULTS = ['hit', 'miss', 'ok', 'error'] as const;
export type CacheResult = (typeof CACHE_RESULTS)[number];

export interface CacheRef {
  /** The cache's name (`users`, `orchestrator`), not a key. */
  cache: string;
}
export interface CacheOperation extends CacheRef {
  /** `get`, `set`, `delete`, `invalidate`, `expire`...: bounded. */
  operation: string;
  result: CacheResult;
}
export interface CacheSize extends CacheRef {
  entries: number;
}
export interface CacheEviction extends CacheRef {
  /** `capacity`, `ttl`, `manual`...: bounded. */
  reason: string;
  /** Entries evicted at once (default 1). */
  count?: number;
}

const caches = new LabelCap(100);
const operations = new LabelCap(30);
const reasons = new LabelCap(30);

function cacheAttributes(input: Record<string, unknown>): Attributes {
  return { cache: required(caches.value(input.cache), 'cache is missing') };
}

export const recordCacheOperation = defineRecorder<CacheOperation>('recordCacheOperation', (input) => {
  counter(cacheOperations).add(1, {
    ...cacheAttributes(input),
    operation: required(operations.value(input.operation), 'operation is missing'),
    result: required(oneOf(input.result, CACHE_RESULTS), `result must be one of ${CACHE_RESULTS.join(', ')}`),
  });
});

const sizes = new CurrentValues(cacheSize);

/** Set a cache's entry count (kept until set again). */
export const setCacheSize = defineRecorder<CacheSize>('setCacheSize', (input) => {
  const value = required(nonNegative(input.entries), 'entries must be a finite number >= 0');
  sizes.set([{ value, attributes: cacheAttributes(input) }]);
});

/** Report a cache's entry count from a callback read at each collection (`observeCacheSize({ cache: 'users' }, () => lru.size)`). */
export const observeCacheSize = defineObserver<CacheRef, number>('observeCacheSize', cacheSize, cacheAttributes, (returned, attributes) => [
  { value: required(nonNegative(returned), 'callback must return a finite number >= 0'), attributes },
]);

export const recordCacheEviction = defineRecorder<CacheEviction>('recordCacheEviction', (input) => {
  const count = input.count === undefined ? 1 : required(nonNegative(input.count), 'count must be a finite number >= 0');
  counter(cacheEvictions).add(count, {
    ...cacheAttributes(input),
    reason: required(reasons.value(input.reason), 'reason is missing'),
  });
});
