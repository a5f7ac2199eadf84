/**
 * "Current value" gauges (cache size, queue depth, active workers...) offered
 * two ways over ONE observable-gauge declaration:
 *
 * - a setter (`setCacheSize({ cache, entries })`): the last value set per
 *   label set is kept in memory and reported at every collection, like a
 *   synchronous gauge;
 * - an observer (`observeCacheSize({ cache }, () => lru.size)`): the callback
 *   is read at collection time only, so nothing is computed between scrapes.
 *   It returns a function that stops observing.
 *
 * Use one style per label set: when both report the same series in one
 * collection, the SDK keeps the last one observed. Neither style ever throws:
 * bad input is refused with a rate-limited warning, as in every helper.
 */
import type { Attributes } from '@opentelemetry/api';
import type { MetricDeclaration } from '../model/types';
import { registerObservation } from './instruments';
import { defineRecorder, required } from './validate';
import { currentRuntime } from './runtime';

/** One reported point: a value and the attributes of its series. */
export interface Point {
  value: number;
  attributes: Attributes;
}

function seriesKey(attributes: Attributes): string {
  return JSON.stringify(Object.keys(attributes).sort().map((key) => [key, attributes[key]]));
}

interface SeriesValues {
  values: Map<string, Point>;
  registered: boolean;
}

/**
 * The last value set per label set, reported at every collection once anything
 * was set. The values belong to the current runtime: a kit never reports what
 * was set under another one.
 */
export class CurrentValues {
  constructor(readonly decl: MetricDeclaration) {}

  private series(): SeriesValues {
    return currentRuntime().state<SeriesValues>(this, () => ({ values: new Map(), registered: false }));
  }

  set(points: readonly Point[]): void {
    const series = this.series();
    for (const point of points) series.values.set(seriesKey(point.attributes), point);
    if (!series.registered) {
      series.registered = true;
      registerObservation(this.decl, (observe) => {
        for (const point of series.values.values()) observe(point.value, point.attributes);
      });
    }
  }

  /** Stop reporting the series with exactly these attributes (a removed pool, a closed cache). */
  delete(attributes: Attributes): void {
    this.series().values.delete(seriesKey(attributes));
  }
}

/**
 * Builds `observeX(fields, callback)`: `fieldsToAttributes` validates the
 * fields once, at registration (a refusal returns a no-op unsubscribe);
 * `pointsOf` turns what the callback returned into points at each collection
 * (a refusal skips that collection with a rate-limited warning).
 */
export function defineObserver<F, R>(
  helper: string,
  decl: MetricDeclaration,
  fieldsToAttributes: (fields: Record<string, unknown>) => Attributes,
  pointsOf: (returned: unknown, attributes: Attributes) => Point[],
): (fields: F, callback: () => R) => () => void {
  return (fields: F, callback: () => R): (() => void) => {
    let attributes: Attributes | undefined;
    defineRecorder<F>(helper, (input) => {
      attributes = fieldsToAttributes(input);
    })(fields);
    if (typeof callback !== 'function') {
      defineRecorder<F>(helper, () => {
        required(undefined, 'callback must be a function');
      })(fields);
      return () => undefined;
    }
    if (attributes === undefined) return () => undefined;
    const fixed = attributes;
    let points: Point[] = [];
    const collect = defineRecorder<{ returned: unknown }>(helper, (input) => {
      points = pointsOf(input.returned, fixed);
    });
    return registerObservation(decl, (observe) => {
      points = [];
      collect({ returned: callback() });
      for (const point of points) observe(point.value, point.attributes);
    });
  };
}
