/**
 * node:cluster (and PM2 cluster mode, which is node:cluster underneath): one
 * scrape of METRICS_PORT returns the whole process group. The primary serves
 * the embedded endpoint; at each scrape it asks every live worker, over the
 * cluster IPC channel, for its cumulative data and merges it with its own
 * (src/sdk/cluster-merge.ts). Workers bind no port: a pull reader answers the
 * primary. OTLP export stays per process, each with its own
 * service.instance.id.
 *
 * A scrape fails (no partial sums, which Prometheus would read as a counter
 * reset) when a worker does not answer within SCRAPE_TIMEOUT_MS.
 */
import cluster, { type Worker } from 'node:cluster';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { AggregationTemporality, MetricReader, type CollectionResult, type MetricProducer, type ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { gaugeAwareTemporality } from './readers';
import { mergeProcessMetrics, type ProcessMetrics } from './cluster-merge';
import { withDeadline } from '../deadline';
import { logError, warnRateLimited } from '../log';

/** How long the primary waits for every worker's data at a scrape. */
export const SCRAPE_TIMEOUT_MS = 5_000;
/** How long a worker waits for the primary to acknowledge it before saying it will not be served. */
const HELLO_TIMEOUT_MS = 5_000;

const KEY = 'otel-workspace-metrics:cluster';

type ClusterMessage =
  | { [KEY]: 'hello' }
  | { [KEY]: 'ack' }
  | { [KEY]: 'collect'; id: number }
  | { [KEY]: 'metrics'; id: number; identity: string; scopeMetrics?: ScopeMetrics[]; error?: string };

function kindOf(message: unknown): ClusterMessage[typeof KEY] | undefined {
  return typeof message === 'object' && message !== null && KEY in message ? (message as ClusterMessage)[KEY] : undefined;
}

function identityOf(resource: Resource): string {
  return String(resource.attributes['service.instance.id'] ?? process.pid);
}

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/**
 * A worker's resource: when OTEL_RESOURCE_ATTRIBUTES sets service.instance.id,
 * every worker inherits the same one, and the collector's Prometheus exporter
 * would keep only the last writer; the worker's cluster id is appended.
 */
export function distinctWorkerResource(resource: Resource, env: NodeJS.ProcessEnv = process.env): Resource {
  if (!cluster.isWorker || cluster.worker === undefined || !/(^|,)\s*service\.instance\.id\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '')) return resource;
  return resource.merge(resourceFromAttributes({ 'service.instance.id': `${identityOf(resource)}-worker-${cluster.worker.id}` }));
}

/** In a worker: a pull reader the primary collects over IPC at each scrape. */
export class ClusterWorkerReader extends MetricReader {
  private readonly identity: string;
  private readonly onMessage = (message: unknown): void => {
    const kind = kindOf(message);
    if (kind === 'ack') {
      clearTimeout(this.helloTimer);
    } else if (kind === 'collect') {
      const id = (message as { id: number }).id;
      this.collect().then(
        ({ resourceMetrics }) => this.reply({ [KEY]: 'metrics', id, identity: this.identity, scopeMetrics: resourceMetrics.scopeMetrics }),
        (error: unknown) => this.reply({ [KEY]: 'metrics', id, identity: this.identity, error: String((error as Error)?.message ?? error) }),
      );
    }
  };
  private helloTimer: NodeJS.Timeout | undefined;

  constructor(resource: Resource, metricProducers: MetricProducer[]) {
    super({ aggregationTemporalitySelector: gaugeAwareTemporality(() => AggregationTemporality.CUMULATIVE), metricProducers });
    this.identity = identityOf(resource);
  }

  private reply(message: ClusterMessage): void {
    try {
      process.send?.(message);
    } catch (error) {
      warnRateLimited('cluster:reply', `cluster worker: could not answer the primary's scrape (${(error as Error).message})`);
    }
  }

  protected override onInitialized(): void {
    process.on('message', this.onMessage);
    this.helloTimer = setTimeout(() => {
      logError(
        `cluster worker ${cluster.worker?.id ?? '?'}: the primary process does not run otel-workspace-metrics, so this worker's metrics ` +
          'are not served at METRICS_PORT. Load the preload in the primary too (NODE_OPTIONS="--require otel-workspace-metrics/register"); ' +
          'under PM2 cluster mode the primary is the PM2 daemon: start it with PM2_NODE_OPTIONS="--require otel-workspace-metrics/register", ' +
          'or export with OTEL_METRICS_EXPORTER=otlp instead',
      );
    }, HELLO_TIMEOUT_MS);
    this.helloTimer.unref();
    this.reply({ [KEY]: 'hello' });
  }

  protected override async onShutdown(): Promise<void> {
    clearTimeout(this.helloTimer);
    process.off('message', this.onMessage);
  }

  protected override async onForceFlush(): Promise<void> {}
}

interface PendingScrape {
  waiting: Set<number>;
  results: ProcessMetrics[];
  errors: string[];
  done: () => void;
}

/** In the primary: answers workers' hellos and gathers their data at each scrape. */
export class ClusterPrimary {
  private nextId = 0;
  private readonly pending = new Map<number, PendingScrape>();
  private readonly onMessage = (worker: Worker, message: unknown): void => {
    const kind = kindOf(message);
    if (kind === 'hello') {
      try {
        worker.send({ [KEY]: 'ack' } satisfies ClusterMessage);
      } catch {
        // the worker is gone
      }
    } else if (kind === 'metrics') {
      const { id, identity, scopeMetrics, error } = message as Extract<ClusterMessage, { [KEY]: 'metrics' }>;
      const scrape = this.pending.get(id);
      if (scrape === undefined || !scrape.waiting.delete(worker.id)) return;
      if (error !== undefined || !Array.isArray(scopeMetrics)) scrape.errors.push(`worker ${worker.id}: ${error ?? 'no data'}`);
      else scrape.results.push({ identity: String(identity), scopeMetrics });
      if (scrape.waiting.size === 0) scrape.done();
    }
  };

  constructor(private readonly resource: Resource) {
    cluster.on('message', this.onMessage);
  }

  stop(): void {
    cluster.off('message', this.onMessage);
  }

  /** The reader's own collection, merged with every live worker's; rejects when a worker does not answer in time. */
  async collect(local: () => Promise<CollectionResult>): Promise<CollectionResult> {
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined && worker.isConnected());
    if (workers.length === 0) return local();
    const id = this.nextId++;
    let done!: () => void;
    const answered = new Promise<void>((resolve) => (done = resolve));
    const scrape: PendingScrape = { waiting: new Set(workers.map((worker) => worker.id)), results: [], errors: [], done };
    this.pending.set(id, scrape);
    try {
      for (const worker of workers) worker.send({ [KEY]: 'collect', id } satisfies ClusterMessage);
      const [own] = await Promise.all([local(), withDeadline(answered, SCRAPE_TIMEOUT_MS)]);
      if (scrape.errors.length > 0) throw new Error(scrape.errors.join('; '));
      const merged = mergeProcessMetrics(own.resourceMetrics.resource, [
        { identity: identityOf(this.resource), scopeMetrics: own.resourceMetrics.scopeMetrics },
        ...scrape.results.sort((a, b) => a.identity.localeCompare(b.identity)),
      ]);
      for (const problem of merged.problems) warnRateLimited(`cluster:merge:${problem}`, `cluster scrape: ${problem}`);
      return { resourceMetrics: merged.resourceMetrics, errors: own.errors };
    } catch (error) {
      const waiting = [...scrape.waiting].join(', ');
      warnRateLimited(
        'cluster:scrape',
        `cluster scrape failed (${(error as Error).message}${waiting === '' ? '' : `; no answer from worker ${waiting}`}); the scrape is refused rather than summed without them`,
      );
      throw error;
    } finally {
      this.pending.delete(id);
    }
  }
}
