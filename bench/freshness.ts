/**
 * Part 5, end-to-end freshness: time from a recording to its value being
 * queryable in Prometheus, through the OTLP push → collector → Prometheus
 * scrape path and through the embedded endpoint → Prometheus scrape path,
 * against the configured intervals. The kit runs in this process (both
 * exporters on); probes are recorded at random phases of the intervals.
 */
import { activeKit, recordActionExecution, setLogSink, start } from '../src/index';
import { envInt, median, percentile, printTable, sleep } from './common';
import { collectorConfig, ensureCollectorBinary, freePort, startCollector, startPrometheus } from './stack';

interface Config {
  exportMillis: number;
  scrapeSeconds: number;
}

async function measure(config: Config, probes: number): Promise<{ otlp: number[]; embedded: number[] }> {
  const collector = await startCollector({ allowlist: ['ws-1'], configs: [collectorConfig('otel-collector/config.yaml')] });
  const port = await freePort();
  const prometheus = await startPrometheus({ targets: [collector.prometheusTarget, `127.0.0.1:${port}`], scrapeIntervalSeconds: config.scrapeSeconds });
  const previousEndpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const previousSink = setLogSink(() => undefined); // the kit's info lines would interleave with the tables
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.httpEndpoint;
  const kit = start({
    env: {
      OTEL_SERVICE_NAME: 'bench-freshness',
      OTEL_METRICS_EXPORTER: 'prometheus,otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_METRIC_EXPORT_INTERVAL: String(config.exportMillis),
      METRICS_PORT: String(port),
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: 'ws-1',
    },
    httpServerMetrics: false,
  });
  const otlp: number[] = [];
  const embedded: number[] = [];
  try {
    if (kit === undefined) throw new Error('kit did not start');
    const direct = `instance="127.0.0.1:${port}"`;
    const query = (where: string) => prometheus.scalar(`sum(action_executions_total{provider="probe",${where}}) or vector(0)`);
    // Both paths have scraped something once before the first probe.
    recordActionExecution({ provider: 'warmup', action: 'freshness', status: 'ok', durationSeconds: 0, workspaceId: 'ws-1' });
    const t = Date.now();
    while ((await prometheus.scalar('count(action_executions_total{provider="warmup"})')) < 2 && Date.now() - t < 60_000) await sleep(100);
    const cycle = Math.max(config.exportMillis, config.scrapeSeconds * 1000);
    for (let k = 1; k <= probes; k++) {
      await sleep(Math.random() * cycle); // a random phase against both intervals
      recordActionExecution({ provider: 'probe', action: 'freshness', status: 'ok', durationSeconds: 0, workspaceId: 'ws-1' });
      const t0 = performance.now();
      let seenOtlp: number | undefined;
      let seenEmbedded: number | undefined;
      while ((seenOtlp === undefined || seenEmbedded === undefined) && performance.now() - t0 < 60_000) {
        const [viaCollector, viaEmbedded] = await Promise.all([query(`instance!="127.0.0.1:${port}"`), query(direct)]);
        const now = performance.now() - t0;
        if (seenOtlp === undefined && viaCollector >= k) seenOtlp = now;
        if (seenEmbedded === undefined && viaEmbedded >= k) seenEmbedded = now;
        await sleep(20);
      }
      if (seenOtlp === undefined || seenEmbedded === undefined) throw new Error(`probe ${k} not seen within 60 s`);
      otlp.push(seenOtlp);
      embedded.push(seenEmbedded);
    }
    return { otlp, embedded };
  } finally {
    await activeKit()?.shutdown();
    setLogSink(previousSink);
    if (previousEndpoint === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = previousEndpoint;
    await prometheus.stop();
    await collector.stop();
  }
}

export async function freshness(): Promise<[string, string, string][]> {
  ensureCollectorBinary();
  const probes = envInt('BENCH_FRESHNESS_PROBES', 8);
  const configs: Config[] = [
    { exportMillis: 1_000, scrapeSeconds: 1 },
    { exportMillis: 5_000, scrapeSeconds: 2 },
  ];
  console.log(`\n## 5. End-to-end freshness (${probes} probes per configuration at random phases; Prometheus polled every ~20 ms; collector batch timeout 200 ms)`);
  const rows: (string | number)[][] = [];
  const summary: [string, string, string][] = [];
  for (const config of configs) {
    const { otlp, embedded } = await measure(config, probes);
    const bound = config.exportMillis + 200 + config.scrapeSeconds * 1000;
    rows.push([`OTLP → collector → Prometheus`, config.exportMillis, config.scrapeSeconds, median(otlp), percentile(otlp, 90), Math.max(...otlp), `export + batch + scrape = ${bound}`]);
    rows.push([`embedded endpoint → Prometheus`, config.exportMillis, config.scrapeSeconds, median(embedded), percentile(embedded, 90), Math.max(...embedded), `scrape = ${config.scrapeSeconds * 1000}`]);
    summary.push([`5 freshness, export ${config.exportMillis} ms / scrape ${config.scrapeSeconds} s`, `OTLP <= ${bound} ms, embedded <= ${config.scrapeSeconds * 1000} ms (+ query polling)`, `OTLP median ${median(otlp).toFixed(0)} ms max ${Math.max(...otlp).toFixed(0)} ms; embedded median ${median(embedded).toFixed(0)} ms max ${Math.max(...embedded).toFixed(0)} ms`]);
    process.stdout.write(`  export ${config.exportMillis} ms / scrape ${config.scrapeSeconds} s done\n`);
  }
  printTable(
    'Freshness: ms from recording to queryable in Prometheus',
    ['path', 'export interval ms', 'scrape interval s', 'median ms', 'p90 ms', 'max ms', 'worst case by the intervals, ms'],
    rows,
  );
  return summary;
}
