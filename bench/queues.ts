/**
 * Part 6, queue health collection cost: one collection against a queue of
 * 100,000 jobs (QUEUE_BENCH_JOBS), per source: BullMQ (private redis-server),
 * pg-boss, graphile-worker and the `runs` table (private PostgreSQL). For each:
 * the collection's wall time in this process (median and p95 over rounds),
 * and what it costs the backend: for Redis, the server time of the one script
 * call (INFO commandstats: Redis runs nothing else meanwhile, so this is the
 * latency every other client waits at most); for Postgres, the statements'
 * server execution time and the buffers they touch (EXPLAIN ANALYZE, BUFFERS).
 */
import './vitest-shim';
import { Queue } from 'bullmq';
import { startRedis } from '../test/helpers/redis';
import { startPostgres, RUNS_TABLE, type PostgresCluster } from '../test/helpers/postgres';
import { loadGraphileWorker, loadPgBoss } from '../test/helpers/queue-libraries';
import { setLogSink } from '../src/log';
import {
  startBullMQHealthCollector,
  startGraphileWorkerHealthCollector,
  startPgBossHealthCollector,
  startQueueHealthCollector,
  type QueueHealthCollector,
} from '../src/exports/queues';
import { BULLMQ_HEALTH_SCRIPT } from '../src/queues/bullmq';
import { pgBossStatements } from '../src/queues/pg-boss';
import { graphileWorkerStatement } from '../src/queues/graphile-worker';
import { DEFAULT_QUEUE_TABLE, queueHealthStatements } from '../src/postgres/sql';
import { envInt, median, percentile, printTable } from './common';

const HOUR = 3_600_000;

interface Row {
  source: string;
  jobs: number;
  medianMs: number;
  p95Ms: number;
  backend: string;
}

async function timeCollections(collector: QueueHealthCollector, rounds: number): Promise<number[]> {
  await collector.collectOnce(); // warm: connection, plan cache
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await collector.collectOnce();
    times.push(performance.now() - t0);
  }
  return times;
}

/** Server execution time and buffers of statements, as EXPLAIN (ANALYZE, BUFFERS) reports them, summed. */
async function explain(pg: PostgresCluster, statements: { text: string; values?: unknown[] }[]): Promise<string> {
  let ms = 0;
  let hit = 0;
  let read = 0;
  for (const statement of statements) {
    const rows = await pg.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.text}`, statement.values);
    const plan = (rows[0]!['QUERY PLAN'] as { 'Execution Time': number; Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }[])[0]!;
    ms += plan['Execution Time'];
    hit += plan.Plan['Shared Hit Blocks'];
    read += plan.Plan['Shared Read Blocks'];
  }
  return `${ms.toFixed(1)} ms server execution, ${hit + read} buffers (${read} read from disk)`;
}

async function bullmq(jobs: number, rounds: number): Promise<Row> {
  const redis = await startRedis();
  try {
    const connection = { host: '127.0.0.1', port: redis.port };
    const queue = new Queue('bench', { connection });
    // 80 % waiting, 10 % delayed, 10 % prioritized.
    for (let start = 0; start < jobs; start += 1_000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1_000, jobs - start) }, (_, k) => {
          const i = start + k;
          return { name: 'job', data: { i }, opts: i % 10 === 1 ? { delay: HOUR } : i % 10 === 2 ? { priority: 1 + (i % 5) } : {} };
        }),
      );
    }
    await queue.close();
    const admin = redis.client();
    const collector = startBullMQHealthCollector({ connection: redis.url, queues: ['bench'], intervalMillis: HOUR });
    await admin.config('RESETSTAT');
    const times = await timeCollections(collector, rounds);
    const stats = String(await admin.info('commandstats'));
    const evalLine = /cmdstat_eval:calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)/.exec(stats);
    const scriptLen = BULLMQ_HEALTH_SCRIPT.length;
    await collector.stop();
    admin.disconnect();
    return {
      source: 'BullMQ (Redis)',
      jobs,
      medianMs: median(times),
      p95Ms: percentile(times, 95),
      backend: evalLine ? `${(Number(evalLine[3]) / 1000).toFixed(2)} ms of Redis time per collection (one EVAL, ${scriptLen} B script, ${evalLine[1]} calls)` : 'no commandstats',
    };
  } finally {
    await redis.destroy();
  }
}

async function pgBoss(pg: PostgresCluster, jobs: number, rounds: number): Promise<Row> {
  const { PgBoss } = await loadPgBoss();
  const boss = new PgBoss({ connectionString: pg.url(), supervise: false, schedule: false });
  boss.on('error', () => undefined);
  await boss.start();
  await boss.createQueue('bench');
  // 80 % ready, 10 % scheduled for later, 10 % completed (retained, not counted).
  for (let start = 0; start < jobs; start += 5_000) {
    await boss.insert(
      'bench',
      Array.from({ length: Math.min(5_000, jobs - start) }, (_, k) => ((start + k) % 10 === 1 ? { data: {}, startAfter: new Date(Date.now() + HOUR) } : { data: {} })),
    );
  }
  await pg.query(`UPDATE pgboss.job SET state = 'completed', completed_on = now() WHERE ctid IN (SELECT ctid FROM pgboss.job WHERE name = 'bench' AND state = 'created' LIMIT ${Math.floor(jobs / 10)})`);
  await pg.query('VACUUM ANALYZE pgboss.job');
  await boss.stop({ graceful: false });
  const collector = startPgBossHealthCollector({ connectionString: pg.url(), intervalMillis: HOUR });
  const times = await timeCollections(collector, rounds);
  await collector.stop();
  const statements = pgBossStatements('pgboss', 1_000);
  return { source: 'pg-boss (Postgres)', jobs, medianMs: median(times), p95Ms: percentile(times, 95), backend: await explain(pg, [{ text: statements.queues }, { text: statements.jobs }]) };
}

async function graphile(pg: PostgresCluster, jobs: number, rounds: number): Promise<Row> {
  const { Logger, makeWorkerUtils } = await loadGraphileWorker();
  const utils = await makeWorkerUtils({ connectionString: pg.url(), logger: new Logger(() => () => undefined) });
  await utils.migrate();
  for (let start = 0; start < jobs; start += 5_000) {
    await utils.addJobs(
      Array.from({ length: Math.min(5_000, jobs - start) }, (_, k) => ({
        identifier: `task-${(start + k) % 5}`,
        payload: {},
        ...((start + k) % 10 === 1 ? { runAt: new Date(Date.now() + HOUR) } : {}),
      })),
    );
  }
  await utils.release();
  await pg.query('VACUUM ANALYZE graphile_worker._private_jobs');
  const collector = startGraphileWorkerHealthCollector({ connectionString: pg.url(), intervalMillis: HOUR });
  const times = await timeCollections(collector, rounds);
  await collector.stop();
  return {
    source: 'graphile-worker (Postgres)',
    jobs,
    medianMs: median(times),
    p95Ms: percentile(times, 95),
    backend: await explain(pg, [{ text: graphileWorkerStatement('graphile_worker'), values: [14_400] }]),
  };
}

async function table(pg: PostgresCluster, jobs: number, rounds: number): Promise<Row> {
  await pg.query(`${RUNS_TABLE}
    CREATE INDEX ON runs (status); CREATE INDEX ON runs (run_at); CREATE INDEX ON runs (queued_at); CREATE INDEX ON runs (lease_expires_at);
    INSERT INTO runs (status, run_at, queued_at, lease_expires_at)
      SELECT CASE WHEN i % 10 < 8 THEN 'DONE' WHEN i % 10 = 8 THEN 'QUEUED' ELSE 'RUNNING' END,
             now() - (i % 3600 || ' seconds')::interval, now() - (i % 3600 || ' seconds')::interval,
             CASE WHEN i % 10 = 9 THEN now() + interval '1 minute' END
      FROM generate_series(1, ${jobs}) AS i;`);
  await pg.query('VACUUM ANALYZE runs');
  const collector = startQueueHealthCollector({ connectionString: pg.url(), intervalMillis: HOUR });
  const times = await timeCollections(collector, rounds);
  await collector.stop();
  const statements = queueHealthStatements(DEFAULT_QUEUE_TABLE);
  return {
    source: 'runs table (Postgres)',
    jobs,
    medianMs: median(times),
    p95Ms: percentile(times, 95),
    backend: await explain(pg, [{ text: statements.depth }, { text: statements.summary, values: ['QUEUED', 'RUNNING'] }]),
  };
}

export async function queues(): Promise<Row[]> {
  const jobs = envInt('QUEUE_BENCH_JOBS', 100_000);
  const rounds = envInt('QUEUE_BENCH_ROUNDS', 20);
  const previousSink = setLogSink(() => undefined);
  const rows: Row[] = [];
  try {
    rows.push(await bullmq(jobs, rounds));
    for (const run of [pgBoss, graphile, table]) {
      const pg = await startPostgres();
      try {
        rows.push(await run(pg, jobs, rounds));
      } finally {
        await pg.destroy();
      }
    }
  } finally {
    setLogSink(previousSink);
  }
  printTable(
    `Queue health: one collection against ${jobs.toLocaleString('en-US')} jobs (${rounds} rounds after one warm-up)`,
    ['source', 'jobs', 'median ms', 'p95 ms', 'backend cost per collection'],
    rows.map((row) => [row.source, row.jobs, row.medianMs, row.p95Ms, row.backend]),
  );
  return rows;
}
