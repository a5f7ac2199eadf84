/**
 * The fast recording path: catalogue counters and histograms recorded through
 * the typed helpers (`counter(decl)`, `histogram(decl)`) aggregate into
 * pre-created cells, and MetricProducers (one per reader; the SDK's extension
 * point for metric bridges) hand their cumulative data to every reader at collection,
 * with the same stream names, descriptors, units, buckets, min/max, start
 * times and overflow series as the views path would produce.
 *
 * Stream shapes (names, descriptions, limits, buckets) are read from the very
 * ViewOptions the views path registers (`viewsFor`), so both paths derive from
 * one definition. A declaration whose views this path does not understand
 * stays on the SDK path. Raw OTel API instruments always use the SDK path.
 *
 * Cumulative only: when any reader asks for delta temporality (e.g.
 * OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta or lowmemory) the
 * kit does not enable this path (see `readersAllCumulative`).
 */
import type { Counter, Histogram } from '@opentelemetry/api';
import {
  AggregationTemporality,
  AggregationType,
  InstrumentType,
  type CollectionResult,
  type IMetricReader,
  type MetricData,
  type MetricProducer,
  type ScopeMetrics,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { hrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { prometheusName, streamName, type MetricDeclaration } from '../model/types';
import { rulesFor, viewsFor } from '../policy/views';
import type { ValueRules } from '../policy/attributes-processors';
import type { WorkspacePolicy } from '../policy/workspace-policy';
import { FastCounter, FastHistogram, streamDescriptor, type InstrumentSpec, type StreamSpec } from './instruments';

/** The SDK's default when a view sets no cardinality limit. */
const SDK_DEFAULT_CARDINALITY_LIMIT = 2_000;

export interface FastPathOptions {
  /** The declarations the views were built from (the catalogue at start). */
  decls: readonly MetricDeclaration[];
  /** Present when the workspace label is on. */
  workspace: WorkspacePolicy | undefined;
  /** The views' value rules (ViewPolicy.values): applied to recordings here as the views apply them. */
  values?: ValueRules;
  /** The instrumentation scope the SDK path would report these instruments under. */
  scope: ScopeMetrics['scope'];
  /** Reported with the data (readers use the SDK's resource anyway). */
  resource: Resource;
}

type FastInstrument = FastCounter | FastHistogram;

function isExplicitHistogram(aggregation: ViewOptions['aggregation']): aggregation is {
  type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM;
  options?: { boundaries: number[]; recordMinMax?: boolean };
} {
  return aggregation !== undefined && aggregation.type === AggregationType.EXPLICIT_BUCKET_HISTOGRAM;
}

/**
 * The fast-path spec of a declaration, from its views; undefined when this
 * path cannot reproduce them (other kinds, other aggregations, other view shapes).
 */
export function instrumentSpec(
  decl: MetricDeclaration,
  policy: WorkspacePolicy | undefined,
  values?: ValueRules,
): (InstrumentSpec & { boundaries?: readonly number[]; recordMinMax?: boolean }) | undefined {
  return specFromViews(decl, viewsFor(decl, { workspace: policy, values }), policy, values);
}

/**
 * The fast-path spec of a counter or histogram from the views the views path
 * would register for it; undefined for any view shape this path does not
 * reproduce (a view of another instrument or without a name, another
 * aggregation, buckets that differ between the streams, a stream other than
 * the baseline and the workspace one, or either twice).
 */
export function specFromViews(
  decl: MetricDeclaration,
  views: readonly ViewOptions[],
  policy: WorkspacePolicy | undefined,
  values?: ValueRules,
): (InstrumentSpec & { boundaries?: readonly number[]; recordMinMax?: boolean }) | undefined {
  if (decl.kind !== 'counter' && decl.kind !== 'histogram') return undefined;
  const baselineName = streamName(decl, 'baseline');
  const workspaceName = streamName(decl, 'workspace');
  let baseline: StreamSpec | undefined;
  let workspace: StreamSpec | undefined;
  let boundaries: readonly number[] | undefined;
  // Stryker disable next-line BooleanLiteral: equivalent, only a histogram's spec carries it and every histogram view sets it below
  let recordMinMax = true;
  for (const view of views) {
    if (view.instrumentName !== decl.name || view.name === undefined) return undefined;
    const aggregation = view.aggregation;
    if (decl.kind === 'counter') {
      if (aggregation !== undefined && aggregation.type !== AggregationType.DEFAULT && aggregation.type !== AggregationType.SUM) return undefined;
    } else {
      if (!isExplicitHistogram(aggregation)) return undefined;
      const viewBoundaries = aggregation.options?.boundaries ?? [];
      if (boundaries !== undefined && viewBoundaries.join() !== boundaries.join()) return undefined;
      boundaries = viewBoundaries;
      recordMinMax = aggregation.options?.recordMinMax ?? true;
    }
    const spec: StreamSpec = {
      descriptor: streamDescriptor(decl.kind, view.name, view.description ?? decl.description, decl.unit),
      cardinalityLimit: view.aggregationCardinalityLimit ?? SDK_DEFAULT_CARDINALITY_LIMIT,
    };
    if (view.name === baselineName && baseline === undefined) baseline = spec;
    else if (view.name === workspaceName && workspace === undefined && policy !== undefined) workspace = spec;
    else return undefined;
  }
  if (baseline === undefined) return undefined;
  return {
    name: decl.name,
    labels: [...decl.labels],
    rules: rulesFor(decl, { workspace: policy, values }),
    baseline,
    workspace:
      workspace === undefined || policy === undefined
        ? undefined
        : { ...workspace, policy, fold: policy.foldCounter(prometheusName(decl, 'workspace')) },
    ...(decl.kind === 'histogram' ? { boundaries: boundaries ?? [], recordMinMax } : {}),
  };
}

export class FastPath {
  /** Readers given a producer (each has its own index). */
  private readers = 0;
  private readonly eligible = new Set<MetricDeclaration>();
  private readonly instruments = new Map<MetricDeclaration, FastInstrument>();
  private active = true;

  constructor(private readonly options: FastPathOptions) {
    for (const decl of options.decls) if (instrumentSpec(decl, options.workspace, options.values) !== undefined) this.eligible.add(decl);
  }

  /** Whether recordings go through this path (false once `disable` was called). */
  get enabled(): boolean {
    return this.active;
  }

  /** Stop serving instruments and data (before any recording: start() falls back to the views path). */
  disable(): void {
    this.active = false;
    this.instruments.clear();
  }

  /** Declarations this path serves (the others use the SDK). */
  handles(decl: MetricDeclaration): boolean {
    return this.active && this.eligible.has(decl);
  }

  /** The fast instrument for a declaration, or undefined for the SDK path. */
  instrument(decl: MetricDeclaration): Counter | Histogram | undefined {
    if (!this.handles(decl)) return undefined;
    let instrument = this.instruments.get(decl);
    if (instrument === undefined) {
      const spec = instrumentSpec(decl, this.options.workspace, this.options.values);
      if (spec === undefined) return undefined;
      instrument =
        decl.kind === 'counter'
          ? new FastCounter(spec)
          : // Stryker disable next-line ArrayDeclaration,BooleanLiteral: equivalent, a histogram's spec always has both (the fallbacks are for the type)
            new FastHistogram({ ...spec, boundaries: spec.boundaries ?? [], recordMinMax: spec.recordMinMax ?? true });
      this.instruments.set(decl, instrument);
    }
    return instrument;
  }

  /**
   * A MetricProducer for one reader: give each reader its own (each keeps
   * its own cumulative sums, as the SDK keeps per-reader state). Each call
   * of its `collect` returns the cumulative data of every fast stream with
   * data and starts a new cardinality cycle.
   */
  producer(): MetricProducer {
    const reader = this.readers++;
    return { collect: () => Promise.resolve(this.collect(reader)) };
  }

  /**
   * A reader slot whose collect is synchronous, for the flush at
   * `process.exit()` (no promise settles in an 'exit' listener).
   */
  syncProducer(): { collect(): CollectionResult } {
    const reader = this.readers++;
    return { collect: () => this.collect(reader) };
  }

  private collect(reader: number): CollectionResult {
    const metrics: MetricData[] = [];
    // Nothing once disabled: disable() drops every instrument.
    const endTime = hrTime(); // the SDK's clock, as for its own collections
    for (const instrument of this.instruments.values()) instrument.collect(reader, this.readers, endTime, metrics);
    return {
      resourceMetrics: {
        resource: this.options.resource,
        scopeMetrics: metrics.length === 0 ? [] : [{ scope: this.options.scope, metrics }],
      },
      errors: [],
    };
  }
}

/**
 * Whether every reader aggregates counters and histograms cumulatively (the
 * fast path only produces cumulative data). Returns the first reader that
 * does not, or undefined when all do.
 */
export function firstNonCumulativeReader(readers: readonly IMetricReader[]): IMetricReader | undefined {
  for (const reader of readers) {
    for (const type of [InstrumentType.COUNTER, InstrumentType.HISTOGRAM]) {
      if (reader.selectAggregationTemporality(type) !== AggregationTemporality.CUMULATIVE) return reader;
    }
  }
  return undefined;
}

/**
 * Make a reader the kit did not create (StartOptions.readers) read `producer`
 * too. A reader takes extra producers only at construction
 * (`metricProducers`), so this wraps the producer the MeterProvider hands it
 * (IMetricReader.setMetricProducer): its collect merges both results, exactly
 * as MetricReader.collect merges `metricProducers`. Call before the reader is
 * given to a MeterProvider.
 */
export function attachProducer(reader: IMetricReader, producer: MetricProducer): void {
  const setMetricProducer = reader.setMetricProducer.bind(reader);
  reader.setMetricProducer = (sdk: MetricProducer): void => {
    setMetricProducer({
      async collect(options) {
        const [own, extra] = await Promise.all([sdk.collect(options), producer.collect(options)]);
        return {
          resourceMetrics: {
            resource: own.resourceMetrics.resource,
            scopeMetrics: own.resourceMetrics.scopeMetrics.concat(extra.resourceMetrics.scopeMetrics),
          },
          errors: own.errors.concat(extra.errors),
        };
      },
    });
  };
}
