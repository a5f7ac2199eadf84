/**
 * YAML output of the operations artifacts (rule files, promtool tests,
 * Grafana provisioning, the Prometheus config), written by the `yaml`
 * package. Strings are quoted by YAML 1.1's rules, which Prometheus's Go
 * YAML reader follows (so `on`, `no` or `y` stay strings); multi-line strings
 * (PromQL expressions) become literal blocks.
 */
import { Document } from 'yaml';

/** YAML text for `value` (a mapping or a sequence), with `#` comment lines first. */
export function toYaml(value: object, comments: readonly string[] = []): string {
  const doc = new Document(value, { version: '1.1' });
  // Stryker disable next-line ConditionalExpression,EqualityOperator: the yaml package writes no comment for an empty commentBefore
  if (comments.length > 0) doc.commentBefore = comments.map((line) => (line === '' ? '' : ` ${line}`)).join('\n');
  return doc.toString({ blockQuote: 'literal', lineWidth: 0 });
}
