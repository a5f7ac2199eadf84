/** Small PromQL builders shared by the rules and the dashboards, so both spell queries the same way. */

/** `name{a="b", c=~"d"}` (just `name` without matchers). */
export function selector(name: string, matchers: readonly string[] = []): string {
  const present = matchers.filter((m) => m !== '');
  return present.length === 0 ? name : `${name}{${present.join(', ')}}`;
}

export function rate(sel: string, window: string): string {
  return `rate(${sel}[${window}])`;
}

export function increase(sel: string, window: string): string {
  return `increase(${sel}[${window}])`;
}

export function by(labels: readonly string[]): string {
  return `by (${labels.join(', ')})`;
}

export function sumBy(labels: readonly string[], inner: string): string {
  return labels.length === 0 ? `sum(${inner})` : `sum ${by(labels)} (${inner})`;
}

export function maxBy(labels: readonly string[], inner: string): string {
  return labels.length === 0 ? `max(${inner})` : `max ${by(labels)} (${inner})`;
}

export function minBy(labels: readonly string[], inner: string): string {
  return labels.length === 0 ? `min(${inner})` : `min ${by(labels)} (${inner})`;
}

/**
 * `part / whole` of a counter's rate, per `labels`, that is 0 (not absent)
 * when the part has no series for a group yet: a service that never failed
 * has a failure ratio of 0, not no ratio at all. Absent (no traffic) stays
 * absent, and 0/0 (no traffic in the window) is NaN, which no alert fires on.
 */
export function rateRatio(labels: readonly string[], part: string, whole: string, window: string): string {
  const wholeRate = sumBy(labels, rate(whole, window));
  // Each operand is one line (a sum over a selector), indented inside the parentheses.
  return ['(', `  ${sumBy(labels, rate(part, window))}`, 'or', `  ${wholeRate} * 0`, ')', '/', wholeRate].join('\n');
}

/** `histogram_quantile(q, sum by (labels, le) (rate(bucket[window])))`. */
export function quantile(q: number, labels: readonly string[], bucketSelector: string, window: string): string {
  return `histogram_quantile(${q}, ${sumBy([...labels, 'le'], rate(bucketSelector, window))})`;
}
