/**
 * Queue & lease health against a real PostgreSQL: exact values for
 * a seeded queue, scraped from the kit's embedded Prometheus endpoint (the
 * production path, and the only reader, so each scrape shows exactly what the
 * gauges observed at that collection); then the failures: database killed
 * and restarted, statement timeout behind a lock, permission denied, config
 * injection; no overlapping ticks with a slow table; and an application with
 * a running collector still exits by itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'pg';
import { join } from 'node:path';
import { start, type Kit } from '../../src/sdk/start';
import { freePort, httpText, spawnTracked } from '../helpers/processes';
import { RUNS_TABLE, startPostgres, type PostgresCluster } from '../helpers/postgres';
import { parseExposition } from '../../src/exposition/parse';
import { resetLogWindows, setLogSink } from '../../src/log';
import { prometheusName } from '../../src/model/types';
import { QUEUE_HEALTH_GAUGES, QUEUE_HEALTH_METRICS, queueHealthCollectorErrors, queueHealthUp } from '../../src/catalogue/queue-health';
import { startQueueHealthCollector, type QueueHealthCollector } from '../../src/queues/table';
import { DEFAULT_QUEUE_TABLE, queueHealthStatements } from '../../src/postgres/sql';

const HOUR = 3_600_000;
/** Oldest ready run was queued this long before the seed ran (and a future run even earlier, which must not count). */
const OLDEST_READY_SECONDS = 120;

const SCHEMA = `${RUNS_TABLE}
CREATE INDEX ix_runs_status ON runs (status);
CREATE INDEX ix_runs_run_at ON runs (run_at);
CREATE INDEX ix_runs_queued_at ON runs (queued_at);
CREATE INDEX ix_runs_lease_expires_at ON runs (lease_expires_at);

INSERT INTO runs (status, run_at, queued_at, lease_expires_at) VALUES
  -- queued and due: 3 (oldest queued 120 s ago)
  ('QUEUED', now() - interval '1 minute',  now() - interval '${OLDEST_READY_SECONDS} seconds', NULL),
  ('QUEUED', now() - interval '10 seconds', now() - interval '60 seconds', NULL),
  ('QUEUED', now(),                         now() - interval '30 seconds', NULL),
  -- queued for later: 2 (queued even earlier: not "ready", so not the oldest ready)
  ('QUEUED', now() + interval '1 hour',     now() - interval '500 seconds', NULL),
  ('QUEUED', now() + interval '1 day',      now() - interval '5 seconds', NULL),
  -- running, lease expired: 2
  ('RUNNING', now() - interval '5 minutes', now() - interval '6 minutes', now() - interval '10 seconds'),
  ('RUNNING', now() - interval '5 minutes', now() - interval '6 minutes', now() - interval '1 hour'),
  -- running, lease active: 4
  ('RUNNING', now(), now(), now() + interval '5 minutes'),
  ('RUNNING', now(), now(), now() + interval '5 minutes'),
  ('RUNNING', now(), now(), now() + interval '1 minute'),
  ('RUNNING', now(), now(), now() + interval '1 hour'),
  -- running without a lease: in the depth, in neither lease count
  ('RUNNING', now(), now(), NULL),
  -- finished
  ('DONE', now(), now(), NULL), ('DONE', now(), now(), NULL), ('DONE', now(), now(), NULL),
  ('DONE', now(), now(), NULL), ('DONE', now(), now(), NULL),
  ('FAILED', now(), now(), NULL);

-- Same data behind a function that sleeps 0.3 s per scan: a slow table.
CREATE FUNCTION slow_runs_scan() RETURNS SETOF runs LANGUAGE sql VOLATILE AS $$
  SELECT pg_sleep(0.3); SELECT * FROM runs
$$;
CREATE VIEW slow_runs AS SELECT * FROM slow_runs_scan();

-- Custom names: a schema, an enum status, other column names.
CREATE SCHEMA app;
CREATE TYPE app.job_state AS ENUM ('pending', 'working', 'finished');
CREATE TABLE app.jobs (
  id bigserial PRIMARY KEY,
  state app.job_state NOT NULL,
  due_at timestamptz NOT NULL,
  enqueued_at timestamptz NOT NULL,
  lease_until timestamptz
);
CREATE INDEX ON app.jobs (state);
INSERT INTO app.jobs (state, due_at, enqueued_at, lease_until) VALUES
  ('pending', now() - interval '1 second', now() - interval '42 seconds', NULL),
  ('pending', now() + interval '1 hour', now(), NULL),
  ('pending', now() + interval '2 hours', now(), NULL),
  ('working', now(), now(), now() - interval '1 second'),
  ('finished', now(), now(), NULL);

-- A queue column: two named queues and one named after a tenant.
CREATE TABLE multi_runs (
  id bigserial PRIMARY KEY,
  queue text,
  status text NOT NULL,
  run_at timestamptz NOT NULL,
  queued_at timestamptz NOT NULL,
  lease_expires_at timestamptz
);
INSERT INTO multi_runs (queue, status, run_at, queued_at, lease_expires_at) VALUES
  ('emails',  'QUEUED',  now() - interval '1 minute', now() - interval '90 seconds', NULL),
  ('emails',  'QUEUED',  now(),                       now() - interval '10 seconds', NULL),
  ('emails',  'QUEUED',  now() + interval '1 hour',   now(), NULL),
  ('emails',  'RUNNING', now(), now(), now() - interval '1 second'),
  ('emails',  'RUNNING', now(), now(), now() + interval '1 hour'),
  ('emails',  'DONE',    now(), now(), NULL),
  ('reports', 'RUNNING', now(), now(), now() + interval '1 hour'),
  ('acme-tenant', 'QUEUED', now(), now() - interval '300 seconds', NULL),
  ('acme-tenant', 'RUNNING', now(), now(), now() - interval '1 minute'),
  (NULL,      'QUEUED',  now() + interval '1 day', now(), NULL);

CREATE ROLE qh_noaccess LOGIN;
`;

/** Hand-computed from the rows above (the age is checked separately, with its tolerance). */
const EXPECTED_SEEDED: Record<string, number> = {
  'queue_depth{status="QUEUED"}': 5,
  'queue_depth{status="RUNNING"}': 7,
  'queue_depth{status="DONE"}': 5,
  'queue_depth{status="FAILED"}': 1,
  queue_ready_depth: 3,
  queue_future_depth: 2,
  queue_running_expired_lease: 2,
  queue_running_active_lease: 4,
};
const AGE = 'queue_oldest_ready_age_seconds';
const ERRORS = prometheusName(queueHealthCollectorErrors);
const UP = prometheusName(queueHealthUp);

let pg: PostgresCluster;
let kit: Kit;
let metricsPort: number;
let seededAt: number;
const logs: string[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
let collector: QueueHealthCollector | undefined;
const pools: Pool[] = [];

function key(name: string, labels: Record<string, unknown>): string {
  const parts = Object.entries(labels)
    .filter(([label]) => !label.startsWith('otel_scope_'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, value]) => `${label}="${String(value)}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

/** The queue health series, scraped from the embedded Prometheus endpoint: `name{labels}` → value. */
async function fromScrape(): Promise<Record<string, number>> {
  const families = parseExposition(await httpText(`http://127.0.0.1:${metricsPort}/metrics`));
  const out: Record<string, number> = {};
  for (const decl of QUEUE_HEALTH_METRICS) {
    for (const sample of families.get(prometheusName(decl))?.samples ?? []) out[key(sample.name, sample.labels)] = sample.value;
  }
  return out;
}

function gaugesOnly(series: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(series).filter(([name]) => !name.startsWith(ERRORS) && !name.startsWith(UP)));
}

function errors(series: Record<string, number>, reason: string): number {
  return series[`${ERRORS}{backend="postgres",reason="${reason}"}`] ?? 0;
}

/** queue_health_up of the table collector (no queue column): 1, 0, or undefined before the first collection. */
function up(series: Record<string, number>): number | undefined {
  return series[`${UP}{backend="postgres"}`];
}

/** Exactly `expected` from the six gauges (plus the age, from `age.value` to `age.value + age.tolerance`). */
async function expectGauges(expected: Record<string, number>, age?: { value: number; tolerance: number }): Promise<void> {
  const { [AGE]: reportedAge, ...rest } = gaugesOnly(await fromScrape());
  expect(rest).toEqual(expected);
  if (age === undefined) {
    expect(reportedAge).toBeUndefined();
  } else {
    expect(reportedAge).toBeGreaterThanOrEqual(age.value - 0.001);
    expect(reportedAge).toBeLessThanOrEqual(age.value + age.tolerance);
  }
}

/** Nothing at all from the six gauges: no series, not a stale value. */
async function expectNoGauges(): Promise<void> {
  expect(gaugesOnly(await fromScrape())).toEqual({});
}

function ownPool(user = 'postgres', extra: Record<string, unknown> = {}): Pool {
  const pool = new Pool({ connectionString: pg.url(user), max: 4, ...extra });
  pool.on('error', () => undefined);
  pools.push(pool);
  return pool;
}

function seededAge(): { value: number; tolerance: number } {
  // The oldest ready run was queued 120 s before the seed; the age grows with the time since.
  const since = (Date.now() - seededAt) / 1000;
  return { value: OLDEST_READY_SECONDS, tolerance: since + 1 };
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  setLogSink((line) => logs.push(line));
  pg = await startPostgres();
  seededAt = Date.now();
  await pg.query(SCHEMA);
  metricsPort = await freePort();
  const started = start({ env: { OTEL_METRICS_EXPORTER: 'prometheus', METRICS_PORT: String(metricsPort) }, httpServerMetrics: false });
  if (started === undefined) throw new Error('kit did not start');
  kit = started;
  expect(await kit.embeddedPort).toBe(metricsPort);
});

afterEach(async () => {
  await collector?.stop();
  collector = undefined;
});

afterAll(async () => {
  await collector?.stop();
  await Promise.all(pools.map((pool) => pool.end().catch(() => undefined)));
  await kit?.shutdown();
  await pg?.destroy();
  process.removeListener('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('queue health collector on PostgreSQL', () => {
  it('reports the seeded queue exactly, from its own pool (connectionString)', async () => {
    expect(await fromScrape()).toEqual({}); // nothing before a collector runs
    collector = startQueueHealthCollector({ connectionString: pg.url(), intervalMillis: HOUR });
    await collector.collectOnce();
    await expectGauges(EXPECTED_SEEDED, seededAge());
    const series = await fromScrape();
    for (const reason of ['connect', 'timeout', 'permission', 'query']) expect(errors(series, reason)).toBe(0);
    expect(up(series)).toBe(1);
  });

  it('reports a status that emptied as 0 (never its last value), and new rows at the next tick', async () => {
    collector = startQueueHealthCollector({ connectionString: pg.url(), intervalMillis: HOUR });
    await collector.collectOnce();
    await pg.query(`UPDATE runs SET status = 'DONE' WHERE status = 'FAILED'`);
    await pg.query(`INSERT INTO runs (status, run_at, queued_at) VALUES ('QUEUED', now() + interval '1 hour', now())`);
    await collector.collectOnce();
    await expectGauges(
      { ...EXPECTED_SEEDED, 'queue_depth{status="DONE"}': 6, 'queue_depth{status="FAILED"}': 0, 'queue_depth{status="QUEUED"}': 6, queue_future_depth: 3 },
      seededAge(),
    );
    await pg.query(`UPDATE runs SET status = 'FAILED' WHERE id = 18; DELETE FROM runs WHERE id > 18`);
  });

  it('collects on its own timer (no collectOnce), every intervalMillis', async () => {
    collector = startQueueHealthCollector({ connectionString: pg.url(), intervalMillis: 100 });
    await expect.poll(fromScrape, { timeout: 5_000, interval: 50 }).toMatchObject(EXPECTED_SEEDED);
    await pg.query(`INSERT INTO runs (status, run_at, queued_at) VALUES ('QUEUED', now() + interval '1 hour', now())`);
    await expect.poll(fromScrape, { timeout: 5_000, interval: 50 }).toMatchObject({ queue_future_depth: 3 });
    await pg.query(`DELETE FROM runs WHERE id > 18`);
  });

  it('an application running a collector still exits by itself (timer and idle connection unref\'d)', async () => {
    // The built package, as an application loads it (`npm test` builds first).
    const root = join(__dirname, '..', '..');
    const app = [
      "const kit = require('otel-workspace-metrics');",
      "const postgres = require('otel-workspace-metrics/postgres');",
      "if (typeof postgres.startQueueHealthCollector !== 'function') throw new Error('dist is stale: run npm run build');",
      "kit.start();",
      'const collector = postgres.startQueueHealthCollector({ connectionString: process.env.DATABASE_URL, intervalMillis: 50 });',
      "collector.collectOnce().then(() => console.log('collected'));",
      "setTimeout(() => console.log('app done'), 1000);",
      "process.on('exit', (code) => console.log('exit ' + code + ' after ' + (Date.now() - t0) + ' ms'));",
      'const t0 = Date.now();',
    ].join('\n');
    const metricsPort = await freePort();
    const child = spawnTracked(process.execPath, ['-e', app], {
      cwd: root,
      env: { PATH: process.env.PATH, DATABASE_URL: pg.url(), METRICS_PORT: String(metricsPort) },
    });
    const exit = await Promise.race([child.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000))]);
    const output = child.output();
    await child.stop('SIGKILL', 0);
    expect(exit, output).toEqual({ code: 0, signal: null });
    expect(output).toMatch(/^collected\napp done\nexit 0 after \d+ ms\n$/);
    // It exits as soon as the application's own work is done, not after some collector timeout.
    expect(Number(/after (\d+) ms/.exec(output)![1])).toBeLessThan(3_000);
  });

  it('database killed: errors counted as connect, values dropped (no stale value), no crash; back after a restart', async () => {
    collector = startQueueHealthCollector({ connectionString: pg.url(), intervalMillis: HOUR, connectTimeoutMillis: 2_000 });
    await collector.collectOnce();
    await expectGauges(EXPECTED_SEEDED, seededAge());
    const before = errors(await fromScrape(), 'connect');
    logs.length = 0;
    resetLogWindows();

    await pg.halt('SIGQUIT'); // immediate shutdown by PID: like a crash
    await collector.collectOnce();
    await collector.collectOnce();
    try {
      expect(errors(await fromScrape(), 'connect')).toBe(before + 2);
      expect(up(await fromScrape())).toBe(0);
      await expectNoGauges();
      // One warning for the two failures (rate-limited), naming the reason.
      expect(logs.filter((line) => line.includes('queue health collector: connect error'))).toHaveLength(1);
    } finally {
      await pg.restart();
    }
    await collector.collectOnce();
    await expectGauges(EXPECTED_SEEDED, seededAge());
    expect(up(await fromScrape())).toBe(1);
    expect(errors(await fromScrape(), 'connect')).toBe(before + 2);
    expect(logs.some((line) => line.includes('collecting again'))).toBe(true);
  });

  it('database killed while a query runs: counted as connect, the tick ends, values dropped', async () => {
    collector = startQueueHealthCollector({ pool: ownPool(), table: 'slow_runs', intervalMillis: HOUR, statementTimeoutMillis: 10_000 });
    await collector.collectOnce();
    expect(gaugesOnly(await fromScrape())).toMatchObject({ queue_ready_depth: 3 });
    const before = errors(await fromScrape(), 'connect');

    const tick = collector.collectOnce();
    await new Promise((resolve) => setTimeout(resolve, 400));
    try {
      await pg.halt('SIGQUIT');
      await tick;
      expect(errors(await fromScrape(), 'connect')).toBe(before + 1);
      await expectNoGauges();
    } finally {
      await pg.restart();
    }
    await collector.collectOnce();
    await expectGauges(EXPECTED_SEEDED, seededAge());
  });

  it('statement timeout behind a lock: counted as timeout, bounded by statement_timeout, values dropped; back when the lock goes', async () => {
    collector = startQueueHealthCollector({ pool: ownPool(), intervalMillis: HOUR, statementTimeoutMillis: 300 });
    await collector.collectOnce();
    await expectGauges(EXPECTED_SEEDED, seededAge());
    const before = errors(await fromScrape(), 'timeout');

    const locker = await ownPool().connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE runs IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      await collector.collectOnce();
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(250);
      expect(took).toBeLessThan(2_000);
      expect(errors(await fromScrape(), 'timeout')).toBe(before + 1);
      await expectNoGauges();
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    await collector.collectOnce();
    await expectGauges(EXPECTED_SEEDED, seededAge());
  });

  it('your pool busy (all connections checked out): counted as connect after connectTimeoutMillis; the late connection goes back', async () => {
    const busy = ownPool('postgres', { max: 1 });
    collector = startQueueHealthCollector({ pool: busy, intervalMillis: HOUR, connectTimeoutMillis: 300 });
    await collector.collectOnce();
    const before = errors(await fromScrape(), 'connect');
    const held = await busy.connect();
    try {
      const started = Date.now();
      await collector.collectOnce();
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(250);
      expect(took).toBeLessThan(1_500);
      expect(errors(await fromScrape(), 'connect')).toBe(before + 1);
      await expectNoGauges();
    } finally {
      held.release();
    }
    // The connection the timed-out tick was still waiting for is handed back, not leaked: the pool of one works.
    await expect.poll(() => busy.idleCount, { timeout: 2_000 }).toBe(1);
    await collector.collectOnce();
    await expectGauges(EXPECTED_SEEDED, seededAge());
  });

  it('never overlaps ticks: a 1.5 s tick, a 50 ms interval and collectOnce() hammering → one statement at a time', async () => {
    const pool = ownPool('postgres', { application_name: 'qh-overlap' });
    let checkedOut = 0;
    let maxCheckedOut = 0;
    let connects = 0;
    const counting = {
      async connect() {
        connects++;
        const client = await pool.connect();
        maxCheckedOut = Math.max(maxCheckedOut, ++checkedOut);
        const release = client.release.bind(client);
        return Object.assign(client, {
          release: (destroy?: boolean | Error) => {
            checkedOut--;
            release(destroy);
          },
        });
      },
    };
    let maxActive = 0;
    const sampler = setInterval(() => {
      void pg
        .query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'qh-overlap' AND state <> 'idle'`)
        .then((rows) => {
          maxActive = Math.max(maxActive, rows[0]!.n as number);
        }, () => undefined);
    }, 50);
    const hammer = setInterval(() => void collector?.collectOnce(), 20);
    const started = Date.now();
    try {
      collector = startQueueHealthCollector({ pool: counting, table: 'slow_runs', intervalMillis: 50, statementTimeoutMillis: 5_000 });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    } finally {
      clearInterval(hammer);
      clearInterval(sampler);
    }
    await collector.stop();
    const elapsed = Date.now() - started;
    expect(maxCheckedOut).toBe(1);
    expect(maxActive).toBe(1);
    // Each tick scans the slow table 5 times (0.3 s each): at most elapsed / 1.5 s ticks, plus the one stop() waited for.
    expect(connects).toBeGreaterThanOrEqual(1);
    expect(connects).toBeLessThanOrEqual(Math.floor(elapsed / 1_500) + 1);
    expect(errors(await fromScrape(), 'timeout')).toBe(1); // only the one of the timeout test
    await expectNoGauges(); // stopped: nothing reported
  });

  it('permission denied: a role without SELECT → counted as permission, values dropped; back after GRANT', async () => {
    collector = startQueueHealthCollector({ pool: ownPool('qh_noaccess'), intervalMillis: HOUR });
    logs.length = 0;
    resetLogWindows();
    await collector.collectOnce();
    await collector.collectOnce();
    expect(errors(await fromScrape(), 'permission')).toBe(2);
    await expectNoGauges();
    expect(logs.filter((line) => line.includes('queue health collector: permission error'))).toHaveLength(1);
    expect(logs.find((line) => line.includes('permission error'))).toContain('[42501]');

    await pg.query('GRANT SELECT ON runs TO qh_noaccess');
    await collector.collectOnce();
    await expectGauges(EXPECTED_SEEDED, seededAge());
    await pg.query('REVOKE SELECT ON runs FROM qh_noaccess');
  });

  it('custom names: schema-qualified table, enum status, other columns and status values', async () => {
    collector = startQueueHealthCollector({
      pool: ownPool(),
      table: 'app.jobs',
      columns: { status: 'state', runAt: 'due_at', queuedAt: 'enqueued_at', leaseExpiresAt: 'lease_until' },
      statuses: { queued: 'pending', running: 'working', known: ['finished', 'cancelled'] },
      intervalMillis: HOUR,
    });
    await collector.collectOnce();
    const since = (Date.now() - seededAt) / 1000;
    await expectGauges(
      {
        'queue_depth{status="pending"}': 3,
        'queue_depth{status="working"}': 1,
        'queue_depth{status="finished"}': 1,
        'queue_depth{status="cancelled"}': 0,
        queue_ready_depth: 1,
        queue_future_depth: 2,
        queue_running_expired_lease: 1,
        queue_running_active_lease: 0,
      },
      { value: 42, tolerance: since + 1 },
    );
  });

  it('a queue column: every gauge per queue, queues outside the allowlist (and NULL) folded into __other__', async () => {
    collector = startQueueHealthCollector({ pool: ownPool(), table: 'multi_runs', columns: { queue: 'queue' }, queues: ['emails', 'reports'], intervalMillis: HOUR });
    await collector.collectOnce();
    const since = (Date.now() - seededAt) / 1000;
    const { 'queue_oldest_ready_age_seconds{queue="emails"}': emailsAge, 'queue_oldest_ready_age_seconds{queue="__other__"}': otherAge, ...rest } = gaugesOnly(await fromScrape());
    expect(rest).toEqual({
      'queue_depth{queue="emails",status="QUEUED"}': 3,
      'queue_depth{queue="emails",status="RUNNING"}': 2,
      'queue_depth{queue="emails",status="DONE"}': 1,
      'queue_ready_depth{queue="emails"}': 2,
      'queue_future_depth{queue="emails"}': 1,
      'queue_running_expired_lease{queue="emails"}': 1,
      'queue_running_active_lease{queue="emails"}': 1,
      'queue_depth{queue="reports",status="QUEUED"}': 0,
      'queue_depth{queue="reports",status="RUNNING"}': 1,
      'queue_ready_depth{queue="reports"}': 0,
      'queue_future_depth{queue="reports"}': 0,
      'queue_running_expired_lease{queue="reports"}': 0,
      'queue_running_active_lease{queue="reports"}': 1,
      'queue_oldest_ready_age_seconds{queue="reports"}': 0,
      'queue_depth{queue="__other__",status="QUEUED"}': 2,
      'queue_depth{queue="__other__",status="RUNNING"}': 1,
      'queue_ready_depth{queue="__other__"}': 1,
      'queue_future_depth{queue="__other__"}': 1,
      'queue_running_expired_lease{queue="__other__"}': 1,
      'queue_running_active_lease{queue="__other__"}': 0,
    });
    expect(emailsAge).toBeGreaterThanOrEqual(90 - 0.001);
    expect(emailsAge).toBeLessThanOrEqual(90 + since + 1);
    expect(otherAge).toBeGreaterThanOrEqual(300 - 0.001);
    expect(otherAge).toBeLessThanOrEqual(300 + since + 1);
    const series = await fromScrape();
    for (const queue of ['emails', 'reports', '__other__']) expect(series[`${UP}{backend="postgres",queue="${queue}"}`]).toBe(1);
    expect(Object.keys(series).some((name) => name.includes('acme'))).toBe(false);
  });

  it('refuses identifiers that are not plain names (no SQL from config), and bad options, without throwing', async () => {
    const queryErrors = errors(await fromScrape(), 'query');
    const attempts = [
      { table: 'runs; DROP TABLE runs; --' },
      { table: 'runs" ; DROP TABLE runs; --' },
      { table: 'a.b.c' },
      { columns: { status: 'status) FROM runs; DROP TABLE runs; --' } },
      { columns: { runAt: '1run_at' } },
      { statuses: { queued: '' } },
      { intervalMillis: -5 },
    ];
    for (const attempt of attempts) {
      logs.length = 0;
      const inert = startQueueHealthCollector({ connectionString: pg.url(), ...attempt });
      await inert.collectOnce();
      await inert.stop();
      expect(logs, JSON.stringify(attempt)).toHaveLength(1);
      expect(logs[0]).toMatch(/queue health collector not started/);
    }
    expect(logs[0]).toContain('intervalMillis');
    expect(await pg.query(`SELECT count(*)::int AS n FROM runs`)).toEqual([{ n: 18 }]);
    expect(errors(await fromScrape(), 'query')).toBe(queryErrors);

    logs.length = 0;
    expect(startQueueHealthCollector({ intervalMillis: HOUR })).toBeDefined();
    expect(logs[0]).toMatch(/exactly one of pool or connectionString/);
  });

  it('a missing table is a query error; one collector per table and pool', async () => {
    const pool = ownPool();
    collector = startQueueHealthCollector({ pool, table: 'no_such_table', intervalMillis: HOUR });
    await collector.collectOnce();
    expect(errors(await fromScrape(), 'query')).toBe(1);
    logs.length = 0;
    const second = startQueueHealthCollector({ pool, table: 'no_such_table', intervalMillis: HOUR });
    await second.collectOnce();
    expect(logs[0]).toMatch(/already running/);
    await expectNoGauges();
  });

  it('the per-status statement uses the indexes (EXPLAIN on 20,000 rows, mostly finished)', async () => {
    await pg.query(`
      CREATE TABLE big_runs (LIKE runs INCLUDING ALL);
      INSERT INTO big_runs (status, run_at, queued_at, lease_expires_at)
        SELECT CASE WHEN i % 1000 = 0 THEN 'QUEUED' WHEN i % 1000 = 1 THEN 'RUNNING' ELSE 'DONE' END,
               now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval,
               CASE WHEN i % 1000 = 1 THEN now() + interval '1 minute' END
        FROM generate_series(1, 20000) AS i;`);
    await pg.query('VACUUM ANALYZE big_runs');
    const { summary } = queueHealthStatements({ ...DEFAULT_QUEUE_TABLE, table: 'big_runs' });
    const client = await ownPool().connect();
    try {
      const rows = (await client.query(`EXPLAIN (FORMAT TEXT) ${summary}`, ['QUEUED', 'RUNNING'])).rows as { 'QUERY PLAN': string }[];
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(plan, plan).not.toMatch(/Seq Scan/);
      expect(plan.match(/Index (Only )?Scan|Bitmap Index Scan/g)?.length ?? 0, plan).toBeGreaterThanOrEqual(3);
    } finally {
      client.release();
      await pg.query('DROP TABLE big_runs');
    }
  });

  it('declares the metric names the docs promise', () => {
    expect(QUEUE_HEALTH_METRICS.map((decl) => prometheusName(decl))).toEqual([
      'queue_depth',
      'queue_ready_depth',
      'queue_future_depth',
      'queue_oldest_ready_age_seconds',
      'queue_running_expired_lease',
      'queue_running_active_lease',
      'queue_health_up',
      'queue_health_collector_errors_total',
    ]);
    expect(QUEUE_HEALTH_GAUGES.every((decl) => decl.kind === 'observableGauge')).toBe(true);
  });
});
