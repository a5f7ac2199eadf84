/**
 * BullMQ queue health against a real redis-server and the real bullmq
 * package: a known mix of jobs (waiting, prioritized, delayed, a flow parent
 * waiting for its child, completed, failed, one running in a live worker, one
 * whose worker process was killed mid-job so its lock expired), every gauge's
 * exact value at the kit's embedded endpoint; then Redis killed by PID
 * (values withheld, up 0, connect errors), frozen (timeout), restarted
 * (recovery).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FlowProducer, Queue, Worker, type Job } from 'bullmq';
import type { Kit } from '../../src/sdk/start';
import { setLogSink } from '../../src/log';
import { freePort, spawnTracked, waitFor, type Tracked } from '../helpers/processes';
import { startRedis, type RedisServer } from '../helpers/redis';
import { expectedQueue, queueGauges, scrapeFamilies, startEndpointKit } from '../helpers/queue-scrape';
import { startBullMQHealthCollector, type QueueHealthCollector } from '../../src/exports/queues';

const HOUR = 3_600_000;
const OLDEST_MS = 120_000;

let redis: RedisServer;
let kit: Kit;
let port: number;
let emails: Queue;
let reports: Queue;
let flows: FlowProducer;
let live: Worker;
let killedWorker: Tracked;
let collector: QueueHealthCollector | undefined;
let oldestDue: number;
const release: (() => void)[] = [];
const logs: string[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

const connection = () => ({ host: '127.0.0.1', port: redis.port });

async function counts(queue: Queue): Promise<Record<string, number>> {
  return queue.getJobCounts();
}

/** Collects once and returns the scrape, with the wall-clock window the collection ran in. */
async function collect(): Promise<{ series: Record<string, number>; before: number; after: number }> {
  const before = Date.now();
  await collector!.collectOnce();
  const after = Date.now();
  return { series: await scrapeFamilies(port), before, after };
}

function splitAge(series: Record<string, number>, queue: string): { rest: Record<string, number>; age: number | undefined } {
  const key = `queue_oldest_ready_age_seconds{queue="${queue}"}`;
  const { [key]: age, ...rest } = queueGauges(series, queue);
  return { rest, age };
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  setLogSink((line) => logs.push(line));
  redis = await startRedis();
  port = await freePort();
  kit = await startEndpointKit(port);

  emails = new Queue('emails', { connection: connection() });
  reports = new Queue('reports', { connection: connection() });
  flows = new FlowProducer({ connection: connection() });

  // 1) A live worker (concurrency 1, no stalled check while the test runs): 2 complete, 1 fails for good.
  live = new Worker(
    'emails',
    async (job: Job) => {
      if (job.name === 'fail') throw new Error('boom');
      if (job.name === 'hang') await new Promise<void>((resolve) => release.push(resolve));
      return 'done';
    },
    { connection: connection(), concurrency: 1, stalledInterval: HOUR, lockDuration: 30_000 },
  );
  live.on('error', () => undefined);
  await emails.add('ok', {});
  await emails.add('ok', {});
  await emails.add('fail', {}, { attempts: 1 });
  await waitFor(async () => {
    const c = await counts(emails);
    return c.completed === 2 && c.failed === 1 ? true : undefined;
  }, 20_000, 'two completed and one failed job');

  // 2) A long-running job holds the live worker (its lock renewed: an active lease).
  await emails.add('hang', {});
  await waitFor(async () => ((await counts(emails)).active === 1 ? true : undefined), 10_000, 'the long-running job to start');

  // 3) A second worker, in its own process, takes a job and is killed mid-job: its lock (1 s) expires.
  killedWorker = spawnTracked(process.execPath, [join(__dirname, '..', 'fixtures', 'bullmq-hang-worker.cjs')], {
    env: { PATH: process.env.PATH, REDIS_URL: redis.url, QUEUE: 'emails', LOCK_MS: '1000' },
    cwd: join(__dirname, '..', '..'),
  });
  await emails.add('hang-killed', {});
  await waitFor(() => (/started \d+/.test(killedWorker.output()) ? true : undefined), 20_000, `the killed worker's job to start: ${killedWorker.output()}`);
  await killedWorker.stop('SIGKILL', 0);

  // 4) Nobody takes these: both workers are busy or dead.
  oldestDue = Date.now() - OLDEST_MS;
  await emails.add('ready', {}, { timestamp: oldestDue });
  await emails.add('ready', {}, { timestamp: Date.now() - 60_000 });
  await emails.add('ready', {});
  await emails.add('urgent', {}, { priority: 5 });
  await emails.add('later', {}, { delay: HOUR });
  await emails.add('later', {}, { delay: 2 * HOUR });
  await flows.add({ name: 'digest', queueName: 'emails', data: {}, children: [{ name: 'render', queueName: 'reports', data: {} }] });
  // The killed worker's lock (1 s) must be gone before the first exact read.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
}, 90_000);

afterAll(async () => {
  await collector?.stop();
  for (const resolve of release) resolve();
  await live?.close(true).catch(() => undefined);
  await Promise.all([emails?.close(), reports?.close(), flows?.close()].map((p) => p?.catch(() => undefined)));
  await kit?.shutdown();
  await redis?.destroy();
  process.removeListener('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('BullMQ queue health', () => {
  it('reports every gauge exactly, per queue, as BullMQ counts them', async () => {
    collector = startBullMQHealthCollector({ connection: redis.url, queues: ['emails', 'reports'], intervalMillis: HOUR });
    const { series, before, after } = await collect();

    // BullMQ's own counts agree with the mix.
    expect(await counts(emails)).toEqual({ active: 2, completed: 2, delayed: 2, failed: 1, prioritized: 1, waiting: 3, 'waiting-children': 1 });

    const emailsNow = splitAge(series, 'emails');
    expect(emailsNow.rest).toEqual(
      Object.fromEntries(
        Object.entries(
          expectedQueue('emails', { waiting: 3, active: 2, delayed: 2, prioritized: 1, 'waiting-children': 1, failed: 1, completed: 2 }, {
            ready: 4, // 3 waiting + 1 prioritized
            future: 2,
            expired: 1, // the killed worker's job: active, lock gone (stalled)
            active: 1, // the live worker's job, lock renewed
            age: 0,
          }),
        ).filter(([key]) => !key.startsWith('queue_oldest')),
      ),
    );
    // The oldest ready job was due at oldestDue; the age is Redis time minus that, read during the collection.
    expect(emailsNow.age).toBeGreaterThanOrEqual((before - oldestDue) / 1000 - 0.01);
    expect(emailsNow.age).toBeLessThanOrEqual((after - oldestDue) / 1000 + 0.01);

    const reportsNow = splitAge(series, 'reports');
    expect(reportsNow.rest).toEqual(
      Object.fromEntries(
        Object.entries(
          expectedQueue('reports', { waiting: 1, active: 0, delayed: 0, prioritized: 0, 'waiting-children': 0, failed: 0, completed: 0 }, {
            ready: 1,
            future: 0,
            expired: 0,
            active: 0,
            age: 0,
          }),
        ).filter(([key]) => !key.startsWith('queue_oldest')),
      ),
    );
    expect(reportsNow.age).toBeGreaterThanOrEqual(0);
    expect(reportsNow.age).toBeLessThan(60);

    expect(series['queue_health_up{backend="redis",queue="emails"}']).toBe(1);
    expect(series['queue_health_up{backend="redis",queue="reports"}']).toBe(1);
    for (const reason of ['connect', 'timeout', 'permission', 'query']) {
      expect(series[`queue_health_collector_errors_total{backend="redis",reason="${reason}"}`]).toBe(0);
    }
  });

  it('uses one connection of its own, named, and nothing else', async () => {
    const admin = redis.client();
    try {
      const list = String(await admin.client('LIST'));
      expect(list.match(/name=otel-workspace-metrics-queue-health\b/g)).toHaveLength(1);
    } finally {
      admin.disconnect();
    }
  });

  it('with your ioredis client (never closed by stop()), beside another collector of other queues', async () => {
    const client = redis.client();
    const mine = startBullMQHealthCollector({ client, queues: ['audit'], intervalMillis: HOUR });
    try {
      await mine.collectOnce();
      await collector!.collectOnce();
      const series = await scrapeFamilies(port);
      // Both collectors report through the same instruments, each its own queues.
      expect(series['queue_depth{queue="emails",status="waiting"}']).toBe(3);
      expect(queueGauges(series, 'audit')).toEqual(
        expectedQueue('audit', { waiting: 0, active: 0, delayed: 0, prioritized: 0, 'waiting-children': 0, failed: 0, completed: 0 }, { ready: 0, future: 0, expired: 0, active: 0, age: 0 }),
      );
      // The same source twice is refused.
      logs.length = 0;
      const twice = startBullMQHealthCollector({ client, queues: ['audit'], intervalMillis: HOUR });
      await twice.stop();
      expect(logs.some((line) => /already running/.test(line))).toBe(true);
    } finally {
      await mine.stop();
    }
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
    expect(queueGauges(await scrapeFamilies(port), 'audit')).toEqual({});
  });

  it('Redis frozen (SIGSTOP): the collection gives up after commandTimeoutMillis, counted as timeout, values withheld', async () => {
    await collector!.stop();
    collector = startBullMQHealthCollector({ connection: redis.url, queues: ['emails', 'reports'], intervalMillis: HOUR, commandTimeoutMillis: 300 });
    await collector.collectOnce();
    process.kill(redis.process!.pid, 'SIGSTOP');
    let took: number;
    try {
      const started = Date.now();
      await collector.collectOnce();
      took = Date.now() - started;
    } finally {
      process.kill(redis.process!.pid, 'SIGCONT');
    }
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2_000);
    const series = await scrapeFamilies(port);
    expect(series['queue_health_collector_errors_total{backend="redis",reason="timeout"}']).toBe(1);
    expect(queueGauges(series, 'emails')).toEqual({});
    expect(series['queue_health_up{backend="redis",queue="emails"}']).toBe(0);
    await collector.collectOnce();
    expect((await scrapeFamilies(port))['queue_depth{queue="emails",status="waiting"}']).toBe(3);
  });

  it('Redis killed by PID: values withheld (never stale), up 0, connect errors; after a restart, the (empty) truth again', async () => {
    for (const resolve of release) resolve();
    await live.close(true);
    await redis.halt('SIGKILL');
    try {
      await collector!.collectOnce();
      await collector!.collectOnce();
      const series = await scrapeFamilies(port);
      expect(series['queue_health_collector_errors_total{backend="redis",reason="connect"}']).toBe(2);
      expect(queueGauges(series, 'emails')).toEqual({});
      expect(queueGauges(series, 'reports')).toEqual({});
      expect(series['queue_health_up{backend="redis",queue="emails"}']).toBe(0);
      expect(series['queue_health_up{backend="redis",queue="reports"}']).toBe(0);
      expect(logs.filter((line) => line.includes('queue health collector (bullmq): connect error'))).toHaveLength(1);
    } finally {
      await redis.restart();
    }
    // The collector's connection reconnects on its own (at most 1 s apart).
    await expect
      .poll(async () => {
        await collector!.collectOnce();
        return (await scrapeFamilies(port))['queue_health_up{backend="redis",queue="emails"}'];
      }, { timeout: 10_000, interval: 200 })
      .toBe(1);
    const series = await scrapeFamilies(port);
    // No persistence: the restarted Redis is empty, and that is what is reported (every state 0, never the old counts).
    for (const queue of ['emails', 'reports']) {
      expect(queueGauges(series, queue)).toEqual(
        expectedQueue(queue, { waiting: 0, active: 0, delayed: 0, prioritized: 0, 'waiting-children': 0, failed: 0, completed: 0 }, { ready: 0, future: 0, expired: 0, active: 0, age: 0 }),
      );
    }
    expect(logs.some((line) => line.includes('queue health collector (bullmq): collecting again'))).toBe(true);
  });

  it('bad options: one error line, an inert handle, nothing thrown', async () => {
    logs.length = 0;
    for (const bad of [{ queues: [] }, { queues: ['ok', 'not a queue name'] }, { queues: ['a'], client: {} as never, connection: redis.url }, { queues: ['a'], connection: redis.url, scanLimit: 0 }]) {
      const inert = startBullMQHealthCollector(bad as never);
      await inert.collectOnce();
      await inert.stop();
    }
    expect(logs).toHaveLength(4);
    expect(logs.every((line) => line.includes('BullMQ queue health collector not started'))).toBe(true);
  });
});
