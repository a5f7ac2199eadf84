/**
 * pg-boss queue health against a real PostgreSQL and the real pg-boss
 * package: a known mix (ready, scheduled for later, waiting to retry, failed,
 * completed, one long-running job, one whose worker process was killed
 * mid-job so it stays active past its expiry, a queue outside the allowlist)
 * → every gauge's exact value at the kit's endpoint; then the database killed
 * by PID (values withheld, up 0, connect errors) and restarted (recovery).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { PgBoss } from 'pg-boss' with { 'resolution-mode': 'import' };
import { start, type Kit } from '../../src/sdk/start';
import { setLogSink } from '../../src/log';
import { freePort, spawnTracked, waitFor } from '../helpers/processes';
import { startPostgres, type PostgresCluster } from '../helpers/postgres';
import { expectedQueue, queueGauges, scrapeFamilies, startEndpointKit } from '../helpers/queue-scrape';
import { startPgBossHealthCollector, type QueueHealthCollector } from '../../src/exports/queues';
import { pgBossStatements } from '../../src/queues/pg-boss';
import { loadPgBoss } from '../helpers/queue-libraries';

const HOUR = 3_600_000;
const OLDEST_MS = 120_000;

let pg: PostgresCluster;
let kit: Kit;
let port: number;
let boss: PgBoss;
let collector: QueueHealthCollector | undefined;
let oldestDue: number;
const logs: string[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

const EMAILS_DEPTH = { created: 5, retry: 1, active: 2, failed: 1 };
const EMAILS = { ready: 3, future: 3, expired: 1, active: 1 };

async function collect(): Promise<{ series: Record<string, number>; before: number; after: number }> {
  const before = Date.now();
  await collector!.collectOnce();
  const after = Date.now();
  return { series: await scrapeFamilies(port), before, after };
}

function withoutAge(series: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(series).filter(([key]) => !key.startsWith('queue_oldest_ready_age_seconds')));
}

async function expectExact(): Promise<void> {
  const { series, before, after } = await collect();
  const seenAt = Date.now();
  expect(withoutAge(queueGauges(series, 'emails'))).toEqual(withoutAge(expectedQueue('emails', EMAILS_DEPTH, { ...EMAILS, age: 0 })));
  // Due since oldestDue: the age is the database's now() minus that, taken during the collection.
  const age = series['queue_oldest_ready_age_seconds{queue="emails"}']!;
  expect(age).toBeGreaterThanOrEqual((before - oldestDue) / 1000 - 0.05);
  expect(age).toBeLessThanOrEqual((after - oldestDue) / 1000 + 0.05);
  expect(queueGauges(series, 'reports')).toEqual(expectedQueue('reports', { created: 0, retry: 0, active: 0, failed: 0 }, { ready: 0, future: 0, expired: 0, active: 0, age: 0 }));
  // A queue outside the allowlist (named after a tenant) folds into __other__: its jobs count, its name is no label.
  const other = queueGauges(series, '__other__');
  expect(withoutAge(other)).toEqual(withoutAge(expectedQueue('__other__', { created: 2, retry: 0, active: 0, failed: 0 }, { ready: 2, future: 0, expired: 0, active: 0, age: 0 })));
  expect(Object.keys(series).some((key) => key.includes('tenant-acme'))).toBe(false);
  expect(seenAt).toBeGreaterThan(0);
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  setLogSink((line) => logs.push(line));
  pg = await startPostgres();
  port = await freePort();
  kit = await startEndpointKit(port);

  // pg-boss's own supervisor would fail the expired job; off, so the test sees what a collector sees between its passes.
  const { PgBoss: PgBossClass } = await loadPgBoss();
  boss = new PgBossClass({ connectionString: pg.url(), supervise: false, schedule: false });
  boss.on('error', () => undefined);
  await boss.start();
  for (const name of ['emails', 'reports', 'tenant-acme']) await boss.createQueue(name);

  // 1) A worker in its own process takes a job (expiry 1 s) and is killed mid-job.
  await boss.send('emails', { n: 'killed' }, { expireInSeconds: 1 });
  const worker = spawnTracked(process.execPath, [join(__dirname, '..', 'fixtures', 'pgboss-hang-worker.mjs')], {
    env: { PATH: process.env.PATH, DATABASE_URL: pg.url(), QUEUE: 'emails' },
    cwd: join(__dirname, '..', '..'),
  });
  await waitFor(() => (/started /.test(worker.output()) ? true : undefined), 30_000, `the pg-boss worker to take its job: ${worker.output()}`);
  await worker.stop('SIGKILL', 0);

  // 2) Settled through pg-boss's own API, one job at a time: 2 completed, 1 failed for good, 1 waiting to retry in an hour.
  const fetchOne = async () => (await boss.fetch('emails'))[0]!;
  for (const _ of [1, 2]) {
    await boss.send('emails', { n: 'ok' });
    await boss.complete('emails', (await fetchOne()).id);
  }
  await boss.send('emails', { n: 'fail' }, { retryLimit: 0 });
  await boss.fail('emails', (await fetchOne()).id);
  await boss.send('emails', { n: 'retry' }, { retryLimit: 2, retryDelay: 3_600 });
  await boss.fail('emails', (await fetchOne()).id);
  // 3) A long-running job: fetched, expiry an hour away (an active lease).
  await boss.send('emails', { n: 'long' }, { expireInSeconds: 3_600 });
  await fetchOne();

  // 4) Nobody takes these.
  oldestDue = Date.now() - OLDEST_MS;
  await boss.send('emails', { n: 'ready' }, { startAfter: new Date(oldestDue) });
  await boss.send('emails', { n: 'ready' }, { startAfter: new Date(Date.now() - 60_000) });
  await boss.send('emails', { n: 'ready' });
  await boss.send('emails', { n: 'later' }, { startAfter: new Date(Date.now() + HOUR) });
  await boss.send('emails', { n: 'later' }, { startAfter: new Date(Date.now() + 2 * HOUR) });
  await boss.send('tenant-acme', {});
  await boss.send('tenant-acme', {});
  // The killed worker's job expired 1 s after it started.
  await new Promise((resolve) => setTimeout(resolve, 1_200));
}, 120_000);

afterAll(async () => {
  await collector?.stop();
  await boss?.stop({ graceful: false }).catch(() => undefined);
  await kit?.shutdown();
  await pg?.destroy();
  process.removeListener('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('pg-boss queue health', () => {
  it('reports every gauge exactly, from pg-boss tables, with tenant-named queues folded', async () => {
    collector = startPgBossHealthCollector({ connectionString: pg.url(), queues: ['emails', 'reports'], intervalMillis: HOUR });
    await expectExact();
    const series = await scrapeFamilies(port);
    for (const queue of ['emails', 'reports', '__other__']) expect(series[`queue_health_up{backend="postgres",queue="${queue}"}`]).toBe(1);
    for (const reason of ['connect', 'timeout', 'permission', 'query']) {
      expect(series[`queue_health_collector_errors_total{backend="postgres",reason="${reason}"}`]).toBe(0);
    }
  });

  it('database killed by PID: values withheld, up 0, connect errors; back after a restart', async () => {
    await pg.halt('SIGQUIT');
    try {
      await collector!.collectOnce();
      const series = await scrapeFamilies(port);
      expect(series['queue_health_collector_errors_total{backend="postgres",reason="connect"}']).toBe(1);
      expect(queueGauges(series, 'emails')).toEqual({});
      expect(queueGauges(series, '__other__')).toEqual({});
      expect(series['queue_health_up{backend="postgres",queue="emails"}']).toBe(0);
      expect(logs.filter((line) => line.includes('queue health collector (pg-boss): connect error'))).toHaveLength(1);
    } finally {
      await pg.restart();
    }
    await expectExact();
    expect((await scrapeFamilies(port))['queue_health_up{backend="postgres",queue="emails"}']).toBe(1);
  });

  it('the jobs statement reads pg-boss\'s live-jobs index, not the table (EXPLAIN after 20,000 completed jobs)', async () => {
    await pg.query(`
      INSERT INTO pgboss.job (name, state, data, completed_on)
        SELECT 'emails', 'completed', '{}'::jsonb, now() FROM generate_series(1, 20000);
      ANALYZE pgboss.job;`);
    const rows = await pg.query(`EXPLAIN ${pgBossStatements('pgboss', 1000).jobs}`);
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(plan, plan).not.toMatch(/Seq Scan on job/);
    expect(plan, plan).toMatch(/Index (Only )?Scan using \w*i14/); // pg-boss's partial index on live jobs (per partition)
    await pg.query(`DELETE FROM pgboss.job WHERE state = 'completed' AND data = '{}'::jsonb AND name = 'emails' AND started_on IS NULL`);
  });
});
