/**
 * Job-outcome hooks with the real BullMQ, pg-boss and graphile-worker: 1,000
 * jobs per library across 1,000 workspaces, an allowlist of 5, a mix of
 * outcomes (ok, failed once then ok, failed for good) and an extractor that
 * throws for some jobs. At the kit's endpoint: exact counts per status,
 * `queue_jobs_total` summing to the recordings, the `_by_workspace` stream
 * summing to the same, workspace values within the allowlist ∪ __other__.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import type { PgBoss } from 'pg-boss' with { 'resolution-mode': 'import' };
import type { Runner, TaskList, WorkerUtils } from 'graphile-worker' with { 'resolution-mode': 'import' };
import { start, type Kit } from '../../src/sdk/start';
import { setLogSink } from '../../src/log';
import { parseExposition } from '../../src/exposition/parse';
import { freePort, httpText, spawnTracked } from '../helpers/processes';
import { startRedis, type RedisServer } from '../helpers/redis';
import { startPostgres, type PostgresCluster } from '../helpers/postgres';
import { instrumentBullMQProcessor, instrumentPgBossHandler, instrumentTaskList } from '../../src/exports/queues';
import { loadGraphileWorker, loadPgBoss } from '../helpers/queue-libraries';

const N = 1_000;
const ALLOWLIST = ['ws-0001', 'ws-0002', 'ws-0003', 'ws-0004', 'ws-0005'];
/** i % 100 == 7: fails on every attempt (2 attempts); i % 100 == 13: fails once, then succeeds. */
const fate = (i: number): 'always' | 'once' | 'never' => (i % 100 === 7 ? 'always' : i % 100 === 13 ? 'once' : 'never');
/** Per library: 990 ok (980 + 10 on their second attempt), 20 retry (every first failure), 10 error. */
const EXPECTED_STATUSES = { ok: 990, retry: 20, error: 10 };
const RECORDINGS = 1_020;
interface Payload {
  i: number;
  workspaceId: string;
}
const payload = (i: number): Payload => ({ i, workspaceId: `ws-${String(i).padStart(4, '0')}` });
/** Throws for every 50th job: those record __other__. */
const extractor = (data: Payload): unknown => {
  if (data.i % 50 === 0) throw new Error('no workspace for this job');
  return data.workspaceId;
};

let redis: RedisServer;
let pg: PostgresCluster;
let kit: Kit;
let port: number;
const logs: string[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
const cleanup: (() => Promise<unknown>)[] = [];

interface JobSeries {
  statuses: Record<string, number>;
  total: number;
  byWorkspaceTotal: number;
  workspaces: Record<string, number>;
  durationCount: number;
  durationByWorkspaceCount: number;
  jobTypes: Set<string>;
}

async function jobSeries(queue: string): Promise<JobSeries> {
  const families = parseExposition(await httpText(`http://127.0.0.1:${port}/metrics`));
  const out: JobSeries = { statuses: {}, total: 0, byWorkspaceTotal: 0, workspaces: {}, durationCount: 0, durationByWorkspaceCount: 0, jobTypes: new Set() };
  for (const sample of families.get('queue_jobs_total')?.samples ?? []) {
    if (sample.labels.queue !== queue) continue;
    out.statuses[sample.labels.status!] = (out.statuses[sample.labels.status!] ?? 0) + sample.value;
    out.total += sample.value;
    out.jobTypes.add(sample.labels.job_type!);
    expect(sample.labels.workspace_id).toBeUndefined();
  }
  for (const sample of families.get('queue_jobs_by_workspace_total')?.samples ?? []) {
    if (sample.labels.queue !== queue) continue;
    out.byWorkspaceTotal += sample.value;
    out.workspaces[sample.labels.workspace_id!] = (out.workspaces[sample.labels.workspace_id!] ?? 0) + sample.value;
  }
  for (const sample of families.get('queue_job_duration_seconds')?.samples ?? []) {
    if (sample.labels.queue === queue && sample.name.endsWith('_count')) out.durationCount += sample.value;
  }
  for (const sample of families.get('queue_job_duration_by_workspace_seconds')?.samples ?? []) {
    if (sample.labels.queue === queue && sample.name.endsWith('_count')) out.durationByWorkspaceCount += sample.value;
  }
  return out;
}

/** Waits until `queue` has all its recordings, then checks every count exactly. */
async function expectOutcomes(queue: string, jobType: string): Promise<void> {
  await expect.poll(async () => (await jobSeries(queue)).total, { timeout: 90_000, interval: 250 }).toBe(RECORDINGS);
  // Nothing more arrives (a hook recording twice would show here).
  await new Promise((resolve) => setTimeout(resolve, 500));
  const series = await jobSeries(queue);
  expect(series.statuses).toEqual(EXPECTED_STATUSES);
  expect(series.total).toBe(RECORDINGS);
  expect(series.durationCount).toBe(RECORDINGS);
  expect(series.byWorkspaceTotal).toBe(RECORDINGS);
  expect(series.durationByWorkspaceCount).toBe(RECORDINGS);
  expect([...series.jobTypes]).toEqual([jobType]);
  // Only the allowlist and __other__: ws-0001..ws-0005 ran once each and no extractor threw for them.
  expect(series.workspaces).toEqual({ 'ws-0001': 1, 'ws-0002': 1, 'ws-0003': 1, 'ws-0004': 1, 'ws-0005': 1, __other__: RECORDINGS - 5 });
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  setLogSink((line) => logs.push(line));
  [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
  port = await freePort();
  const started = start({
    env: {
      OTEL_METRICS_EXPORTER: 'prometheus',
      METRICS_PORT: String(port),
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: ALLOWLIST.join(','),
    },
    httpServerMetrics: false,
  });
  if (started === undefined) throw new Error('kit did not start');
  kit = started;
  await kit.embeddedPort;
}, 60_000);

afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  await kit?.shutdown();
  await Promise.all([redis?.destroy(), pg?.destroy()]);
  process.removeListener('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('job-outcome hooks', () => {
  it('BullMQ: a wrapped processor records every attempt, results and errors pass through untouched', async () => {
    const connection = { host: '127.0.0.1', port: redis.port };
    const queue = new Queue('bull-jobs', { connection });
    cleanup.push(() => queue.close());
    const worker = new Worker(
      'bull-jobs',
      instrumentBullMQProcessor(
        async (job) => {
          const data = job.data as Payload;
          if (fate(data.i) === 'always' || (fate(data.i) === 'once' && job.attemptsMade === 0)) throw new Error(`boom ${data.i}`);
          return `done ${data.i}`;
        },
        { workspace: (job) => extractor(job.data as Payload) },
      ),
      { connection, concurrency: 20 },
    );
    worker.on('error', () => undefined);
    cleanup.push(() => worker.close());
    await queue.addBulk(Array.from({ length: N }, (_, i) => ({ name: 'send-email', data: payload(i), opts: { attempts: 2, removeOnComplete: false } })));
    await expectOutcomes('bull-jobs', 'send-email');
    // The processor's own outcome reached BullMQ unchanged.
    expect((await queue.getJob((await queue.getJobs(['completed'], 0, 0))[0]!.id!))?.returnvalue).toMatch(/^done \d+$/);
    const failed = await queue.getJobs(['failed']);
    expect(failed).toHaveLength(10);
    expect(failed.every((job) => job.failedReason === `boom ${(job.data as Payload).i}`)).toBe(true);
  }, 120_000);

  it('pg-boss: a wrapped work handler records every attempt', async () => {
    const { PgBoss: PgBossClass } = await loadPgBoss();
    const boss: PgBoss = new PgBossClass({ connectionString: pg.url(), supervise: false, schedule: false });
    boss.on('error', () => undefined);
    await boss.start();
    cleanup.push(() => boss.stop({ graceful: false }));
    await boss.createQueue('boss-jobs', { retryLimit: 1, retryDelay: 0 });
    await boss.work(
      'boss-jobs',
      { includeMetadata: true, perJobResults: true, batchSize: 50, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 },
      instrumentPgBossHandler(
        async (jobs) =>
          jobs.map((job) => {
            const data = job.data as Payload;
            const fails = fate(data.i) === 'always' || (fate(data.i) === 'once' && job.retryCount === 0);
            return fails ? { id: job.id!, status: 'failed' as const, output: { message: `boom ${data.i}` } } : { id: job.id!, status: 'completed' as const };
          }),
        { perJobResults: true, workspace: (job) => extractor(job.data as Payload) },
      ),
    );
    await boss.insert('boss-jobs', Array.from({ length: N }, (_, i) => ({ data: payload(i) })));
    await expectOutcomes('boss-jobs', 'boss-jobs');
  }, 120_000);

  it('graphile-worker: a wrapped task list records every attempt', async () => {
    const { Logger, makeWorkerUtils, run } = await loadGraphileWorker();
    const silent = new Logger(() => () => undefined);
    const utils: WorkerUtils = await makeWorkerUtils({ connectionString: pg.url(), logger: silent });
    cleanup.push(async () => utils.release());
    await utils.migrate();
    await utils.addJobs(Array.from({ length: N }, (_, i) => ({ identifier: 'graphile-jobs', payload: payload(i), maxAttempts: 2 })));
    const runner: Runner = await run({
      connectionString: pg.url(),
      concurrency: 10,
      noHandleSignals: true,
      pollInterval: 100,
      logger: silent,
      taskList: instrumentTaskList<TaskList>(
        {
          'graphile-jobs': async (raw, helpers) => {
            const data = raw as Payload;
            // attempts counts the running attempt: 1 on the first run.
            if (fate(data.i) === 'always' || (fate(data.i) === 'once' && helpers.job.attempts === 1)) throw new Error(`boom ${data.i}`);
          },
        },
        { workspace: (job) => extractor(job.payload as Payload) },
      ),
    });
    cleanup.push(async () => runner.stop());
    await expectOutcomes('graphile-jobs', 'graphile-jobs');
  }, 120_000);

  it('a failing extractor is logged, rate-limited (20 throws each, at most one line a minute), never thrown into the worker', () => {
    for (const hook of ['instrumentBullMQProcessor', 'instrumentPgBossHandler', 'instrumentTaskList']) {
      const lines = logs.filter((line) => line.includes(`${hook}: the workspace extractor threw`)).length;
      expect(lines).toBeGreaterThanOrEqual(1);
      expect(lines).toBeLessThanOrEqual(2);
    }
  });

  it('the kit never loads a queue library (or ioredis, or pg) by itself', async () => {
    const root = join(__dirname, '..', '..');
    const app = [
      "require('otel-workspace-metrics'); const q = require('otel-workspace-metrics/queues');",
      "if (typeof q.startBullMQHealthCollector !== 'function') throw new Error('dist is stale: run npm run build');",
      "const loaded = Object.keys(require.cache).filter((p) => /node_modules[\\\\/](bullmq|ioredis|pg-boss|graphile-worker|pg)[\\\\/]/.test(p));",
      'console.log(JSON.stringify(loaded));',
    ].join('\n');
    const child = spawnTracked(process.execPath, ['-e', app], { cwd: root, env: { PATH: process.env.PATH } });
    const exit = await child.exited;
    expect(exit, child.output()).toEqual({ code: 0, signal: null });
    expect(child.output().trim()).toBe('[]');
  });
});
