/**
 * graphile-worker queue health against a real PostgreSQL and the real
 * graphile-worker package: a known mix (ready, scheduled for later, waiting to
 * retry, failed for good, one job running in a live runner, one whose runner
 * process was killed mid-job so its lock outlives the timeout, a task outside
 * the allowlist) → every gauge's exact value at the kit's endpoint; then the
 * database killed by PID (values withheld, up 0, connect errors) and
 * restarted (recovery).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Runner, WorkerUtils } from 'graphile-worker' with { 'resolution-mode': 'import' };
import type { Kit } from '../../src/sdk/start';
import { setLogSink } from '../../src/log';
import { freePort, spawnTracked, waitFor } from '../helpers/processes';
import { startPostgres, type PostgresCluster } from '../helpers/postgres';
import { expectedQueue, queueGauges, scrapeFamilies, startEndpointKit } from '../helpers/queue-scrape';
import { startGraphileWorkerHealthCollector, type QueueHealthCollector } from '../../src/exports/queues';
import { loadGraphileWorker, type GraphileWorkerModule } from '../helpers/queue-libraries';

const HOUR = 3_600_000;
const OLDEST_MS = 120_000;
/** graphile-worker never renews a lock; the test's lock timeout is short so a killed runner's job shows as expired within the test. */
const LOCK_TIMEOUT_SECONDS = 4;
const QUEUES = ['emails', 'fail', 'flaky', 'hang', 'hang-killed'];

let pg: PostgresCluster;
let kit: Kit;
let port: number;
let utils: WorkerUtils;
let graphile: GraphileWorkerModule;
let silent: InstanceType<GraphileWorkerModule['Logger']>;
let live: Runner;
let collector: QueueHealthCollector | undefined;
let oldestDue: number;
const release: (() => void)[] = [];
const logs: string[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

const EMPTY = { queued: 0, retry: 0, locked: 0, failed: 0 };
const ZERO = { ready: 0, future: 0, expired: 0, active: 0, age: 0 };

function withoutAge(series: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(series).filter(([key]) => !key.startsWith('queue_oldest_ready_age_seconds')));
}

async function expectExact(): Promise<void> {
  const before = Date.now();
  await collector!.collectOnce();
  const after = Date.now();
  const series = await scrapeFamilies(port);
  expect(withoutAge(queueGauges(series, 'emails'))).toEqual(withoutAge(expectedQueue('emails', { ...EMPTY, queued: 5 }, { ...ZERO, ready: 3, future: 2 })));
  const age = series['queue_oldest_ready_age_seconds{queue="emails"}']!;
  expect(age).toBeGreaterThanOrEqual((before - oldestDue) / 1000 - 0.05);
  expect(age).toBeLessThanOrEqual((after - oldestDue) / 1000 + 0.05);
  expect(queueGauges(series, 'fail')).toEqual(expectedQueue('fail', { ...EMPTY, failed: 1 }, ZERO));
  // Failed once, attempts left, its backoff (e^1 s) over: ready again, as a retry.
  expect(withoutAge(queueGauges(series, 'flaky'))).toEqual(withoutAge(expectedQueue('flaky', { ...EMPTY, retry: 1 }, { ...ZERO, ready: 1 })));
  expect(queueGauges(series, 'hang')).toEqual(expectedQueue('hang', { ...EMPTY, locked: 1 }, { ...ZERO, active: 1 }));
  expect(queueGauges(series, 'hang-killed')).toEqual(expectedQueue('hang-killed', { ...EMPTY, locked: 1 }, { ...ZERO, expired: 1 }));
  expect(withoutAge(queueGauges(series, '__other__'))).toEqual(withoutAge(expectedQueue('__other__', { ...EMPTY, queued: 2 }, { ...ZERO, ready: 2 })));
  expect(Object.keys(series).some((key) => key.includes('tenant-acme'))).toBe(false);
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  setLogSink((line) => logs.push(line));
  pg = await startPostgres();
  port = await freePort();
  kit = await startEndpointKit(port);
  graphile = await loadGraphileWorker();
  silent = new graphile.Logger(() => () => undefined);
  utils = await graphile.makeWorkerUtils({ connectionString: pg.url(), logger: silent });
  await utils.migrate();

  // 1) A runner in its own process takes a job and is killed mid-job: the lock stays.
  await utils.addJob('hang-killed', {});
  const child = spawnTracked(process.execPath, [join(__dirname, '..', 'fixtures', 'graphile-hang-worker.mjs')], {
    env: { PATH: process.env.PATH, DATABASE_URL: pg.url(), TASK: 'hang-killed' },
    cwd: join(__dirname, '..', '..'),
  });
  await waitFor(() => (/started/.test(child.output()) ? true : undefined), 30_000, `the graphile-worker runner to take its job: ${child.output()}`);
  await child.stop('SIGKILL', 0);
  const killedAt = Date.now();

  // 2) A runner that fails two jobs once each: one has no attempt left, one has two.
  await utils.addJob('fail', {}, { maxAttempts: 1 });
  await utils.addJob('flaky', {}, { maxAttempts: 3 });
  const failing = await graphile.run({
    connectionString: pg.url(),
    concurrency: 2,
    noHandleSignals: true,
    pollInterval: 100,
    logger: silent,
    taskList: {
      fail: async () => {
        throw new Error('boom');
      },
      flaky: async () => {
        throw new Error('boom');
      },
    },
  });
  await waitFor(async () => {
    const rows = await pg.query(`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE attempts = 1 AND locked_at IS NULL`);
    return rows[0]!.n === 2 ? true : undefined;
  }, 20_000, 'both jobs to fail once');
  await failing.stop();

  // 3) Nobody runs these tasks.
  oldestDue = Date.now() - OLDEST_MS;
  await utils.addJob('emails', {}, { runAt: new Date(oldestDue) });
  await utils.addJob('emails', {}, { runAt: new Date(Date.now() - 60_000) });
  await utils.addJob('emails', {});
  await utils.addJob('emails', {}, { runAt: new Date(Date.now() + HOUR) });
  await utils.addJob('emails', {}, { runAt: new Date(Date.now() + 2 * HOUR) });
  await utils.addJob('tenant-acme', {});
  await utils.addJob('tenant-acme', {});

  // 4) Once the killed runner's lock is older than the timeout (and flaky's backoff is over), a live runner starts a long job.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, killedAt + LOCK_TIMEOUT_SECONDS * 1000 + 300 - Date.now())));
  await utils.addJob('hang', {});
  live = await graphile.run({
    connectionString: pg.url(),
    concurrency: 1,
    noHandleSignals: true,
    pollInterval: 100,
    logger: silent,
    taskList: { hang: () => new Promise<void>((resolve) => release.push(resolve)) },
  });
  await waitFor(async () => ((await pg.query(`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'hang' AND locked_at IS NOT NULL`))[0]!.n === 1 ? true : undefined), 10_000, 'the long job to start');
}, 120_000);

afterAll(async () => {
  await collector?.stop();
  for (const resolve of release) resolve();
  await Promise.resolve(live?.stop()).catch(() => undefined);
  await Promise.resolve(utils?.release()).catch(() => undefined);
  await kit?.shutdown();
  await pg?.destroy();
  process.removeListener('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('graphile-worker queue health', () => {
  it('reports every gauge exactly, per task, from graphile-worker\'s jobs view', async () => {
    collector = startGraphileWorkerHealthCollector({ connectionString: pg.url(), queues: QUEUES, lockTimeoutSeconds: LOCK_TIMEOUT_SECONDS, intervalMillis: HOUR });
    await expectExact();
    const series = await scrapeFamilies(port);
    for (const queue of [...QUEUES, '__other__']) expect(series[`queue_health_up{backend="postgres",queue="${queue}"}`]).toBe(1);
  });

  it('database killed by PID: values withheld, up 0, connect errors; back after a restart', async () => {
    // The long job ends and the live runner stops first (graphile-worker's own pool would report the lost database as an unhandled rejection).
    for (const resolve of release) resolve();
    await live.stop();
    await waitFor(async () => ((await pg.query(`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'hang'`))[0]!.n === 0 ? true : undefined), 10_000, 'the long job to complete');
    // The test cluster commits asynchronously: make the completion durable before the crash.
    await pg.query('CHECKPOINT');
    await pg.halt('SIGQUIT');
    try {
      await collector!.collectOnce();
      const series = await scrapeFamilies(port);
      expect(series['queue_health_collector_errors_total{backend="postgres",reason="connect"}']).toBe(1);
      for (const queue of [...QUEUES, '__other__']) {
        expect(queueGauges(series, queue)).toEqual({});
        expect(series[`queue_health_up{backend="postgres",queue="${queue}"}`]).toBe(0);
      }
    } finally {
      await pg.restart();
    }
    await collector!.collectOnce();
    const series = await scrapeFamilies(port);
    expect(series['queue_health_up{backend="postgres",queue="emails"}']).toBe(1);
    expect(withoutAge(queueGauges(series, 'emails'))).toEqual(withoutAge(expectedQueue('emails', { ...EMPTY, queued: 5 }, { ...ZERO, ready: 3, future: 2 })));
    expect(queueGauges(series, 'fail')).toEqual(expectedQueue('fail', { ...EMPTY, failed: 1 }, ZERO));
    // The long job succeeded (graphile-worker deletes it): its task reads 0, never its last value.
    expect(queueGauges(series, 'hang')).toEqual(expectedQueue('hang', EMPTY, ZERO));
    expect(queueGauges(series, 'hang-killed')).toEqual(expectedQueue('hang-killed', { ...EMPTY, locked: 1 }, { ...ZERO, expired: 1 }));
  });
});
