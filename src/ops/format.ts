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
  return name
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
