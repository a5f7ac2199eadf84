/** Custom metrics: one row per family the application declared (OpsOptions.metrics), built like the built-in rows. */
import { customFamilies, type CustomFamily } from '../custom';
import { maxBy, rate, selector, sumBy } from '../promql';
import { QUANTILES, recorded } from '../rules';
import { JOB, RATE_INTERVAL, pct, type DashboardContext, type DashboardSpec, type PanelSpec, type RowSpec } from './panels';

function familyRow(family: CustomFamily, S: readonly string[]): RowSpec {
  const name = family.decl.name;
  const by = family.hasStatus ? 'status' : 'job';
  if (family.gauge !== undefined) {
    const groupBy = ['job', ...family.labels];
    return {
      title: name,
      panels: [
        {
          title: name,
          description: `${family.decl.description} (${family.gauge}; the highest replica per ${groupBy.join(', ')}).`,
          unit: 'short',
          targets: [{ expr: maxBy(groupBy, selector(family.gauge, S)), legend: groupBy.map((l) => `{{${l}}}`).join(' ') }],
        },
      ],
    };
  }
  const panels: PanelSpec[] = [
    {
      title: `${name} per second`,
      description: `${family.decl.description} Recordings per second by ${by} (${family.counting!.baseline}).`,
      unit: 'ops',
      targets: [{ expr: sumBy([by], rate(selector(family.counting!.baseline, S), RATE_INTERVAL)), legend: `{{${by}}}` }],
    },
  ];
  if (family.hasStatus) {
    panels.push({
      title: `${name}: failure ratio`,
      description: `Share of ${name} recordings with status error or timeout over 5 minutes (recording rule ${recorded.customFailureRatio('job', family)}).`,
      unit: 'percentunit',
      min: 0,
      max: 1,
      targets: [{ expr: selector(recorded.customFailureRatio('job', family), [JOB]), legend: '{{job}}' }],
    });
  }
  if (family.buckets !== undefined) {
    panels.push({
      title: `${name}: percentiles`,
      description: `p50, p95 and p99 over 5 minutes (recording rules ${recorded.customQuantile('job', family, 0.95)} and siblings).`,
      unit: family.decl.unit === 's' ? 's' : family.decl.unit === 'By' ? 'bytes' : 'short',
      targets: QUANTILES.map((q) => ({ expr: selector(recorded.customQuantile('job', family, q), [JOB]), legend: `${pct(q)} {{job}}` })),
    });
  }
  return { title: name, panels };
}

/** The "Custom metrics" dashboard, or undefined when the application declared no family of its own. */
export function customDashboard(ctx: DashboardContext): DashboardSpec | undefined {
  const families = customFamilies(ctx.options);
  if (families.length === 0) return undefined;
  return {
    uid: ctx.uid('custom'),
    title: ctx.title('Custom metrics'),
    description: 'The metric families this application declares itself (declareMetrics), per service.',
    file: 'custom.json',
    variables: ['job'],
    rows: families.map((family) => familyRow(family, ctx.series)),
  };
}
