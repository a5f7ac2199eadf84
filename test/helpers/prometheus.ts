/** Runs the real Prometheus server on a free loopback port with a temp TSDB, and queries its HTTP API. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prometheusBinary } from './binaries';
import { freePort, httpText, spawnTracked, waitFor, type Tracked } from './processes';

export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

export interface RunningPrometheus {
  process: Tracked;
  url: string;
  port: number;
  query(expr: string): Promise<VectorSample[]>;
  /** Raw API answer for any query (used to check dashboard/rule expressions). */
  queryRaw(expr: string): Promise<{ status: string; data: { resultType: string; result: unknown[] }; error?: string }>;
  /** Sum of an instant query's values (0 when empty). */
  scalar(expr: string): Promise<number>;
  headSeries(): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface PrometheusOptions {
  /** host:port targets scraped at /metrics with honor_labels (the collector's job/instance are kept). */
  targets: string[];
  scrapeIntervalSeconds?: number;
  remoteWriteReceiver?: boolean;
  ruleFiles?: string[];
  evaluationIntervalSeconds?: number;
  /** Raw YAML lines (each starting with "  - job_name:") that replace the default scrape job; targets are then ignored. */
  scrapeConfigs?: string[];
  /** Reuse a TSDB directory (restart tests); a fresh temp dir otherwise. */
  dataDir?: string;
  port?: number;
  /** More scrape jobs, as YAML list items indented by two spaces (TLS, authorization...). */
  extraScrapeConfigs?: string;
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus & { dataDir: string }> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'owm-prom-'));
  const dataDir = options.dataDir ?? join(dir, 'data');
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${options.evaluationIntervalSeconds ?? 1}s`,
    ...(options.ruleFiles?.length ? ['rule_files:', ...options.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    'scrape_configs:',
    ...(options.scrapeConfigs ?? [
      '  - job_name: otel-collector',
      '    honor_labels: true',
      `    scrape_interval: ${interval}`,
      '    static_configs:',
      `      - targets: [${options.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    ]),
    ...(options.extraScrapeConfigs === undefined ? [] : [options.extraScrapeConfigs]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config + '\n');
  const args = [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    ...(options.remoteWriteReceiver ? ['--web.enable-remote-write-receiver'] : []),
  ];
  const proc = spawnTracked(prometheusBinary(), args, { cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => httpText(`${url}/-/ready`), 30_000, 'Prometheus to be ready').catch((error: Error) => {
    throw new Error(`${error.message}\nprometheus output:\n${proc.output().slice(-4000)}`);
  });

  const queryRaw = async (expr: string) => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(10_000) });
    return (await response.json()) as { status: string; data: { resultType: string; result: unknown[] }; error?: string };
  };
  const query = async (expr: string): Promise<VectorSample[]> => {
    const body = await queryRaw(expr);
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
    if (body.data.resultType === 'scalar') {
      const [, value] = body.data.result as unknown as [number, string];
      return [{ metric: {}, value: Number(value) }];
    }
    return (body.data.result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  return {
    process: proc,
    url,
    port,
    dataDir,
    query,
    queryRaw,
    async scalar(expr) {
      return (await query(expr)).reduce((sum, s) => sum + s.value, 0);
    },
    async headSeries() {
      const response = await fetch(`${url}/api/v1/status/tsdb`, { signal: AbortSignal.timeout(10_000) });
      const body = (await response.json()) as { data: { headStats: { numSeries: number } } };
      return body.data.headStats.numSeries;
    },
    async stop(signal = 'SIGTERM') {
      await proc.stop(signal);
      if (options.dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
