/**
 * BullMQ queue health, read straight from BullMQ's Redis keys: one Lua script
 * per collection reads every watched queue atomically (one snapshot, one
 * Redis clock), so no count is torn between two moments.
 *
 * Per queue (`<prefix>:<queue>:<state>`), as BullMQ's own getJobCounts counts:
 * `wait` and `active` lists (LLEN; a deprecated wait-list marker is not a job),
 * `delayed`, `prioritized`, `waiting-children`, `failed`, `completed` sorted
 * sets (ZCARD). Then, bounded scans:
 * - oldest ready age: the wait list's two ends (FIFO and LIFO jobs) and the
 *   first `scanLimit` (100) prioritized jobs, each due at `timestamp + delay`
 *   (one hash read each: the scan is most of the script's Redis time);
 * - stalled jobs, over the first `activeScanLimit` (1000) active jobs: active
 *   jobs whose lock key (`<job>:lock`, set by the worker
 *   and renewed while it runs) is gone: the worker died or stopped renewing.
 *   BullMQ's stalled-job checker moves them back to wait (or to failed) at its
 *   next run; until then they count here. Active jobs with a lock are the
 *   active leases.
 */
import { logError } from '../log';
import { CollectionError, INERT_COLLECTOR, defaultCollectorInterval, nonNegativeNumber, positiveInteger, startCollectorLoop, type QueueHealthCollector, type QueueReading } from './collector';
import { QueueLabel } from './queue-label';
import { classifyRedisError, openRedisLink, type RedisConnectionOptions } from './redis';

/** BullMQ's state names, as `Queue#getJobCounts()` returns them. */
export const BULLMQ_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

export interface BullMQHealthOptions extends RedisConnectionOptions {
  /** The queue names to watch (BullMQ keeps no list of queues); each is a `queue` label value. */
  queues: readonly string[];
  /** BullMQ's key prefix; default `bull`. */
  prefix?: string;
  /** Prioritized jobs read for the oldest ready age, per queue; default 100. */
  scanLimit?: number;
  /** Active jobs whose lock is checked, per queue; default 1000. */
  activeScanLimit?: number;
  /** Between the end of one collection and the start of the next; default METRICS_COLLECTOR_INTERVAL (5 s). */
  intervalMillis?: number;
}

/**
 * KEYS: one `<prefix>:<queue>:` per queue. ARGV[1]: prioritized scan limit, ARGV[2]: active scan limit.
 * Returns, per queue, 11 integers: wait, active, delayed, prioritized,
 * waiting-children, failed, completed, oldest ready age in ms (-1: none),
 * stalled, locked, and the Redis time in ms.
 */
export const BULLMQ_HEALTH_SCRIPT = `
local limit = tonumber(ARGV[1])
local activeLimit = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for _, base in ipairs(KEYS) do
  local wait = redis.call('LLEN', base .. 'wait')
  local tail = redis.call('LINDEX', base .. 'wait', -1)
  if tail and string.sub(tail, 1, 2) == '0:' then wait = wait - 1 end
  local oldest = nil
  local function consider(id)
    if id and string.sub(id, 1, 2) ~= '0:' then
      local v = redis.call('HMGET', base .. id, 'timestamp', 'delay')
      local ts = tonumber(v[1])
      if ts then
        local due = ts + (tonumber(v[2]) or 0)
        if oldest == nil or due < oldest then oldest = due end
      end
    end
  end
  consider(tail)
  consider(redis.call('LINDEX', base .. 'wait', 0))
  for _, id in ipairs(redis.call('ZRANGE', base .. 'prioritized', 0, limit - 1)) do consider(id) end
  local stalled, locked = 0, 0
  for _, id in ipairs(redis.call('LRANGE', base .. 'active', 0, activeLimit - 1)) do
    if redis.call('EXISTS', base .. id .. ':lock') == 1 then locked = locked + 1 else stalled = stalled + 1 end
  end
  local age = -1
  if oldest ~= nil then age = math.max(0, now - oldest) end
  table.insert(out, wait)
  table.insert(out, redis.call('LLEN', base .. 'active'))
  table.insert(out, redis.call('ZCARD', base .. 'delayed'))
  table.insert(out, redis.call('ZCARD', base .. 'prioritized'))
  table.insert(out, redis.call('ZCARD', base .. 'waiting-children'))
  table.insert(out, redis.call('ZCARD', base .. 'failed'))
  table.insert(out, redis.call('ZCARD', base .. 'completed'))
  table.insert(out, age)
  table.insert(out, stalled)
  table.insert(out, locked)
  table.insert(out, now)
end
return out
`;
const FIELDS_PER_QUEUE = 11;

/**
 * Start collecting BullMQ queue health; returns a handle. Bad options log one
 * error line and return an inert handle (the application continues).
 */
export function startBullMQHealthCollector(options: BullMQHealthOptions): QueueHealthCollector {
  try {
    if (typeof options !== 'object' || options === null) throw new Error('options must be an object');
    const queues = options.queues;
    if (!Array.isArray(queues) || queues.length === 0) throw new Error('queues must list at least one BullMQ queue name');
    const queueLabel = new QueueLabel({ queues });
    const prefix = options.prefix ?? 'bull';
    if (typeof prefix !== 'string' || prefix === '' || /[\s]/.test(prefix)) throw new Error('prefix must be a non-empty string without spaces');
    const scanLimit = positiveInteger(options.scanLimit, 'scanLimit', 100);
    const activeScanLimit = positiveInteger(options.activeScanLimit, 'activeScanLimit', 1_000);
    const intervalMillis = positiveInteger(options.intervalMillis, 'intervalMillis', defaultCollectorInterval(), 10);
    const commandTimeoutMillis = positiveInteger(options.commandTimeoutMillis, 'commandTimeoutMillis', 2_000);
    const connectTimeoutMillis = positiveInteger(options.connectTimeoutMillis, 'connectTimeoutMillis', 5_000);
    const link = openRedisLink(options, commandTimeoutMillis, connectTimeoutMillis);
    const keys = queues.map((queue) => `${prefix}:${queue}:`);
    return startCollectorLoop(
      {
        backend: 'redis',
        key: `bullmq:${link.target}:${prefix}:${[...queues].sort().join(',')}`,
        logName: 'bullmq',
        queues,
        statuses: BULLMQ_STATES,
        close: () => link.close(),
        async read(): Promise<QueueReading[]> {
          let raw: unknown;
          try {
            raw = await link.evaluate(BULLMQ_HEALTH_SCRIPT, keys, [scanLimit, activeScanLimit]);
          } catch (error) {
            throw new CollectionError(classifyRedisError(error), error);
          }
          if (!Array.isArray(raw) || raw.length !== keys.length * FIELDS_PER_QUEUE) {
            throw new CollectionError('query', new Error('unexpected reply from the collection script'));
          }
          return queues.map((queue, index) => {
            const v = raw.slice(index * FIELDS_PER_QUEUE, (index + 1) * FIELDS_PER_QUEUE).map(Number);
            const [wait, active, delayed, prioritized, waitingChildren, failed, completed, ageMillis, stalled, locked] = v as number[];
            return {
              queue,
              depth: new Map<string, number>([
                ['waiting', wait!],
                ['active', active!],
                ['delayed', delayed!],
                ['prioritized', prioritized!],
                ['waiting-children', waitingChildren!],
                ['failed', failed!],
                ['completed', completed!],
              ]),
              ready: nonNegativeNumber(wait) + nonNegativeNumber(prioritized),
              future: delayed!,
              oldestReadyAgeSeconds: ageMillis! < 0 ? 0 : ageMillis! / 1000,
              expiredLeases: stalled!,
              activeLeases: locked!,
            };
          });
        },
      },
      { intervalMillis, queueLabel, maxStatuses: BULLMQ_STATES.length },
    );
  } catch (error) {
    logError(`BullMQ queue health collector not started: ${(error as Error).message}`);
    return INERT_COLLECTOR;
  }
}
