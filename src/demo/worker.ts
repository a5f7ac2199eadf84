/**
 * The demo: a multi-tenant worker that executes provider actions and queue
 * jobs for a few hundred workspaces, and serves a small HTTP API that it also
 * calls. Run under the preload (`npm start`), it shows what a service gets:
 * open the printed /metrics URL.
 *
 * DEMO_WORKSPACES (default 300), DEMO_RATE (recordings per second, default 50),
 * DEMO_DURATION_SECONDS (default: run until stopped), DEMO_HTTP_PORT (default: any free port).
 */
import { createServer, get } from 'node:http';
import { activeKit, recordActionExecution, recordQueueJob, setHttpRoute } from '../index';

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

const WORKSPACES = Math.max(1, Math.floor(envNumber('DEMO_WORKSPACES', 300)));
const RATE = Math.max(1, envNumber('DEMO_RATE', 50));
const DURATION_SECONDS = envNumber('DEMO_DURATION_SECONDS', 0);

const ACTIONS = [
  { provider: 'google', action: 'gmail.send', errorRate: 0.02, medianSeconds: 0.4 },
  { provider: 'google', action: 'calendar.create', errorRate: 0.05, medianSeconds: 0.25 },
  { provider: 'microsoft', action: 'outlook.send', errorRate: 0.08, medianSeconds: 0.6 },
  { provider: 'slack', action: 'chat.post', errorRate: 0.01, medianSeconds: 0.15 },
] as const;
const JOB_TYPES = ['workflow_run', 'sync_contacts', 'send_digest'] as const;

function workspaceId(): string {
  // Skewed like real tenants: a few large workspaces, a long tail of small ones.
  const n = Math.floor(WORKSPACES * Math.random() ** 2) + 1;
  return `ws-${String(n).padStart(3, '0')}`;
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

/** Log-normal around a median: latencies with a realistic tail. */
function latency(medianSeconds: number): number {
  const gaussian = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return medianSeconds * Math.exp(0.6 * gaussian);
}

function tick(): void {
  const spec = pick(ACTIONS);
  const failed = Math.random() < spec.errorRate;
  recordActionExecution({
    provider: spec.provider,
    action: spec.action,
    status: failed ? 'error' : 'ok',
    durationSeconds: latency(spec.medianSeconds),
    workspaceId: workspaceId(),
  });
  if (Math.random() < 0.5) {
    recordQueueJob({
      jobType: pick(JOB_TYPES),
      status: Math.random() < 0.03 ? 'error' : 'ok',
      durationSeconds: latency(1.5),
      workspaceId: workspaceId(),
    });
  }
}

const api = createServer((request, response) => {
  const match = /^\/workspaces\/([^/]+)\/jobs\/(\d+)$/.exec(request.url ?? '');
  if (match) {
    setHttpRoute(request, '/workspaces/:workspace/jobs/:job');
    response.end(JSON.stringify({ workspace: match[1], job: Number(match[2]) }));
  } else {
    response.statusCode = 404;
    response.end();
  }
});

api.listen(envNumber('DEMO_HTTP_PORT', 0), '127.0.0.1', async () => {
  const address = api.address();
  const apiPort = typeof address === 'object' && address !== null ? address.port : 0;
  const kit = activeKit();
  const metricsPort = kit ? await kit.embeddedPort : undefined;
  console.log(`demo worker: ${WORKSPACES} workspaces, ${RATE} recordings/s, API on http://127.0.0.1:${apiPort}`);
  console.log(
    metricsPort !== undefined
      ? `metrics: http://${kit?.config.prometheus.host ?? '127.0.0.1'}:${metricsPort}/metrics`
      : kit?.config.exporters.includes('otlp')
        ? `metrics: sent over OTLP (${kit.config.otlp.protocol}) every ${kit.config.exportIntervalMillis} ms; no embedded endpoint`
        : 'metrics: off (run under --require otel-workspace-metrics/register, with OTEL_METRICS_EXPORTER=prometheus and/or otlp)',
  );

  const recorder = setInterval(tick, 1000 / RATE);
  const caller = setInterval(() => {
    const path = Math.random() < 0.9 ? `/workspaces/${workspaceId()}/jobs/${Math.floor(Math.random() * 1e6)}` : '/missing';
    get(`http://127.0.0.1:${apiPort}${path}`, (response) => response.resume()).on('error', () => undefined);
  }, 200);
  if (DURATION_SECONDS > 0) {
    setTimeout(() => {
      clearInterval(recorder);
      clearInterval(caller);
      api.close();
    }, DURATION_SECONDS * 1000);
  }
});
