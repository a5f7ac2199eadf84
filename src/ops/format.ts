/** Small helpers shared by the rules, their tests and the dashboards. */
import type { OpsOptions } from './options';
import { selector } from './promql';

/** `0.05` → `5`, `0.333` → `33.3` (no float noise: 0.07 * 100 is 7.000000000000001). */
export function percent(fraction: number): string {
  return String(Number((fraction * 100).toFixed(6)));
}

/** A number as PromQL and the summaries spell it (no float noise). */
export function num(value: number): string {
  return String(Number(value.toPrecision(12)));
}

/** `selector(name, matchers)` plus the user's service matchers (OpsOptions.selectors.service). */
export type ServiceSeries = (name: string, matchers?: readonly string[]) => string;

export function serviceSeries(options: OpsOptions): ServiceSeries {
  const extra = options.selectors.service.trim();
  return (name, matchers = []) => selector(name, [...matchers, extra]);
}

/** `billing.invoices` → `BillingInvoices` (alert names). */
export function pascalCase(name: string): string {
  // An empty part (leading, trailing or repeated separators) capitalises to '' and joins to nothing.
  return name
    // Stryker disable next-line Regex: one separator or a run of them splits to the same parts plus empty ones
    .split(/[^a-zA-Z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Go's `%.4g` for the values the alert templates print (Go rounds an exact tie to even, toPrecision up). */
export function g4(value: number): string {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: 0, ±Infinity and NaN make `scaled` NaN below, and toPrecision prints them the same
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const scale = 10 ** (3 - Math.floor(Math.log10(Math.abs(value))));
  const scaled = Math.abs(value) * scale;
  if (Number.isInteger(scaled * 2) && !Number.isInteger(scaled)) {
    const down = Math.floor(scaled);
    return String((Math.sign(value) * (down % 2 === 0 ? down : down + 1)) / scale);
  }
  return String(Number(value.toPrecision(4)));
}

/** Prometheus's `humanize1024` template function: binary prefixes up to Ei, then Go's `%.4g`. */
export function humanize1024(value: number): string {
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei']) {
    if (Math.abs(value) < 1024) break;
    prefix = p;
    value /= 1024;
  }
  return `${g4(value)}${prefix}`;
}

/** Prometheus's `humanizeDuration` template function, for seconds of one second or more (and 0). */
export function humanizeDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  if (Math.abs(seconds) < 1) throw new Error('humanizeDuration: sub-second values are not needed here');
  // Stryker disable next-line EqualityOperator: 0 returned above, so < and <= agree
  const sign = seconds < 0 ? '-' : '';
  const whole = Math.trunc(Math.abs(seconds));
  const s = whole % 60;
  const m = Math.trunc(whole / 60) % 60;
  const h = Math.trunc(whole / 3600) % 24;
  const d = Math.trunc(whole / 86400);
  if (d !== 0) return `${sign}${d}d ${h}h ${m}m ${s}s`;
  if (h !== 0) return `${sign}${h}h ${m}m ${s}s`;
  if (m !== 0) return `${sign}${m}m ${s}s`;
  return `${sign}${g4(Math.abs(seconds))}s`;
}

/** Prometheus's `humanizePercentage`: the ratio times 100 with 4 significant digits. */
export function humanizePercentage(ratio: number): string {
  return `${g4(ratio * 100)}%`;
}
