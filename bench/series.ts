/**
 * Part 3, series independence through the real collector and Prometheus:
 * head series in Prometheus (/api/v1/status/tsdb headStats.numSeries) for
 * 21, 1,000 and 100,000 workspaces with a 20-entry allowlist, with the SDK
 * policy enforcing and in pass-through (only the collector bounds values),
 * over OTLP/HTTP (protobuf) and OTLP/gRPC, with the shipped
 * otel-collector/config.yaml. A fresh collector, Prometheus and service per
 * cell of the table. Pass-through must give the enforcing run's head series
 * (the collector folds what the SDK passed through) with every recording
 * counted; the kit splits each collection into requests of at most
 * METRICS_OTLP_MAX_REQUEST_BYTES, so the collector must merge a folded series
 * across the requests of one collection.
 */
import { join } from 'node:path';
import { BENCH_DIR, KIT_REGISTER, envInt, printTable, sleep } from './common';
import { collectorConfig, ensureCollectorBinary, spawnTracked, startCollector, startPrometheus, waitFor, type Tracked } from './stack';

const ALLOWLIST = Array.from({ length: 20 }, (_, i) => `ws-${i}`);

type Protocol = 'http/protobuf' | 'grpc';

interface Row {
  mode: string;
  protocol: Protocol;
  workspaces: number;
  headSeries: number;
  byWorkspaceSeries: number;
  workspaceValues: number;
  overflowSeries: number;
  seconds: number;
  collector: string;
  note: string;
  /** Series per metric name, to say where two runs differ. */
  byName: Map<string, number>;
}

async function measure(mode: 'enforce' | 'passthrough', protocol: Protocol, workspaces: number): Promise<Row> {
  const started = Date.now();
  const configs = [collectorConfig('otel-collector/config.yaml')];
  const collector = await startCollector({ allowlist: ALLOWLIST, configs });
  let service: Tracked | undefined;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  try {
    prometheus = await startPrometheus({ targets: [collector.prometheusTarget], scrapeIntervalSeconds: 1 });
    service = spawnTracked(process.execPath, ['--require', KIT_REGISTER, join(BENCH_DIR, 'series-app.js')], {
      env: {
        PATH: process.env.PATH,
        OTEL_SERVICE_NAME: 'bench-series',
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? collector.grpcEndpoint : collector.httpEndpoint,
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
        METRICS_WORKSPACE_LABEL: 'on',
        METRICS_WORKSPACE_ALLOWLIST: ALLOWLIST.join(','),
        METRICS_WORKSPACE_POLICY: mode,
        // Runtime metrics add series by what the process did (GC kinds, heap spaces), not by workspaces.
        METRICS_RUNTIME: 'off',
        BENCH_WORKSPACES: String(workspaces),
      },
    });
    const tracked = service;
    const expected = await waitFor(
      () => {
        const line = tracked.output().split('\n').find((l) => l.startsWith('RESULT '));
        return line ? (JSON.parse(line.slice(7)) as { actions: number; jobs: number }) : undefined;
      },
      120_000,
      'the service workload',
    );
    const p = prometheus;
    let note = 'all recordings arrived';
    const waitStart = Date.now();
    const outcome = await waitFor(
      async () => {
        const arrived =
          (await p.scalar('sum(action_executions_by_workspace_total)')) === expected.actions &&
          (await p.scalar('sum(action_executions_total)')) === expected.actions &&
          (await p.scalar('sum(action_duration_by_workspace_seconds_count)')) === expected.actions &&
          (await p.scalar('sum(queue_jobs_by_workspace_total)')) === expected.jobs &&
          (await p.scalar('sum(queue_job_duration_by_workspace_seconds_count)')) === expected.jobs;
        if (arrived) return 'arrived';
        // An export the collector refuses is retried forever: give up once it has failed for 20 s.
        return /export failed/.test(tracked.output()) && Date.now() - waitStart > 20_000 ? 'refused' : undefined;
      },
      envInt('BENCH_SERIES_WAIT_MS', 120_000),
      `Prometheus to see all ${expected.actions} actions and ${expected.jobs} jobs`,
    ).catch(() => 'timed out');
    if (outcome !== 'arrived') {
      const seen = await p.scalar('sum(action_executions_by_workspace_total)').catch(() => Number.NaN);
      const histogram = await p.scalar('sum(action_duration_by_workspace_seconds_count)').catch(() => Number.NaN);
      const failure = /export failed \[reason=([a-z_]+)\] \(([^)]*)\)/.exec(tracked.output());
      note = `NOT all arrived (${outcome}): ${seen} of ${expected.actions} actions (histogram count ${histogram})${failure ? `; OTLP export failed (${failure[1]}: ${failure[2]})` : ''}`;
    }
    await sleep(3_000); // a few more scrapes and exports: nothing new may appear
    const byName = new Map((await p.query('count by (__name__) ({__name__=~".+"})')).map((s) => [s.metric.__name__ ?? '', s.value] as [string, number]));
    return {
      byName,
      mode,
      protocol,
      workspaces,
      headSeries: await p.headSeries(),
      byWorkspaceSeries: await p.scalar('count({__name__=~".+_by_workspace.*"})'),
      workspaceValues: await p.scalar('count(count by (workspace_id) ({__name__=~".+_by_workspace.*", workspace_id!=""}))'),
      overflowSeries: await p.scalar('count({otel_metric_overflow="true"}) or vector(0)'),
      seconds: (Date.now() - started) / 1000,
      collector: 'config.yaml',
      note,
    };
  } finally {
    await service?.stop();
    await prometheus?.stop();
    await collector.stop();
  }
}

export async function series(): Promise<{ identical: Record<string, boolean>; rows: Row[] }> {
  ensureCollectorBinary();
  const counts = (process.env.BENCH_SERIES_WORKSPACES ?? '21,1000,100000').split(',').map(Number);
  const modes = (process.env.BENCH_SERIES_MODES ?? 'enforce,passthrough').split(',') as ('enforce' | 'passthrough')[];
  const protocols = (process.env.BENCH_SERIES_PROTOCOLS ?? 'http/protobuf,grpc').split(',') as Protocol[];
  console.log(`\n## 3. Series independence through the collector and Prometheus (allowlist of 20; workspaces ${counts.join(', ')}; each workspace records 4 action and 2 queue-job label tuples; ${protocols.join(' and ')})`);
  const rows: Row[] = [];
  for (const protocol of protocols) {
    for (const mode of modes) {
      for (const workspaces of counts) {
        rows.push(await measure(mode, protocol, workspaces));
        process.stdout.write(`  ${protocol} ${mode} ${workspaces} done\n`);
      }
    }
  }
  printTable(
    'Series: Prometheus head series once the workload arrived (or gave up: see note)',
    ['OTLP', 'SDK policy', 'collector config', 'workspaces', 'head series', '_by_workspace series', 'workspace_id values', 'overflow series', 'run s', 'note'],
    rows.map((r) => [r.protocol, r.mode, r.collector, r.workspaces, r.headSeries, r.byWorkspaceSeries, r.workspaceValues, r.overflowSeries, r.seconds, r.note]),
  );
  // Where a run's head series differ from the first run's: series per metric name.
  const reference = rows[0];
  for (const row of rows.slice(1)) {
    if (reference === undefined || row.headSeries === reference.headSeries) continue;
    const names = new Set([...reference.byName.keys(), ...row.byName.keys()]);
    const diff = [...names].filter((n) => reference.byName.get(n) !== row.byName.get(n)).map((n) => `${n} ${reference.byName.get(n) ?? 0}→${row.byName.get(n) ?? 0}`);
    console.log(`  ${row.protocol} ${row.mode} ${row.workspaces}: head series differ from ${reference.protocol} ${reference.mode} ${reference.workspaces} in ${diff.join(', ')}`);
  }
  // Per protocol: every cell arrived, and every cell (both modes, every workspace count) has the same head series.
  const identical: Record<string, boolean> = {};
  for (const protocol of protocols) {
    const all = rows.filter((r) => r.protocol === protocol);
    const failed = all.filter((r) => !r.note.startsWith('all')).map((r) => `${r.mode} ${r.workspaces}`);
    const heads = [...new Set(all.map((r) => r.headSeries))];
    identical[`${protocol}: ${modes.join(' / ')} at ${counts.join(' / ')} workspaces, head series ${heads.join(' / ')}${failed.length ? ` (not all arrived: ${failed.join(', ')})` : ''}`] = heads.length === 1 && failed.length === 0;
  }
  return { identical, rows };
}
