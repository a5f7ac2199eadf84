/** Workspace drill-down: one workspace across services, from the `_by_workspace` streams. */
import { ACTION_FAMILY, QUEUE_JOB_FAMILY, WORKFLOW_FAMILY, WORKFLOW_STEP_FAMILY, series } from '../metrics';
import { rate, selector, sumBy } from '../promql';
import { recorded } from '../rules';
import { RATE_INTERVAL, executionsPanel, failureRatioPanel, percentilesPanel, quantileByPanel, type DashboardContext, type DashboardSpec } from './panels';

export function workspaceDashboard(ctx: DashboardContext): DashboardSpec {
  const S = ctx.series;
  const options = ctx.options;
  const W = `${options.workspaceLabel}="$workspace"`;
  /** Raw `_by_workspace` series: the workspace and the user's service selector. */
  const WS = [W, ...S.slice(1)];
  const wsActions = recorded.rate('workspace', ACTION_FAMILY);
  return {
    uid: ctx.uid('workspace'),
    title: ctx.title('Workspace drill-down'),
    description: `One workspace (${options.workspaceLabel}) across services: actions, workflows and queue jobs from the _by_workspace streams. Only allowlisted workspaces have their own series; the others are in __other__.`,
    file: 'workspace.json',
    variables: ['workspace'],
    rows: [
      {
        title: 'Actions',
        panels: [
          executionsPanel(ACTION_FAMILY, 'workspace', WS, ['status'], '{{status}}'),
          failureRatioPanel(ACTION_FAMILY, 'workspace', W, '$workspace'),
          percentilesPanel(ACTION_FAMILY, 'workspace', W, ''),
          {
            title: 'Busiest actions',
            description: 'The 10 provider actions this workspace runs most.',
            unit: 'ops',
            targets: [
              {
                expr: `topk(10, ${sumBy(['provider', 'action'], rate(selector(series(ACTION_FAMILY.counter, 'workspace'), WS), RATE_INTERVAL))})`,
                legend: '{{provider}} {{action}}',
              },
            ],
          },
        ],
      },
      {
        title: 'Workflows',
        panels: [
          executionsPanel(WORKFLOW_FAMILY, 'workspace', WS, ['workflow', 'status'], '{{workflow}} {{status}}'),
          failureRatioPanel(WORKFLOW_FAMILY, 'workspace', W, '$workspace'),
          percentilesPanel(WORKFLOW_FAMILY, 'workspace', W, ''),
          executionsPanel(WORKFLOW_STEP_FAMILY, 'workspace', WS, ['step_type', 'status'], '{{step_type}} {{status}}'),
          quantileByPanel('Workflow steps: p95 by step type', 'p95 step duration per step type in this workspace.', WORKFLOW_STEP_FAMILY.histogram, 'workspace', WS, ['step_type'], '{{step_type}}'),
        ],
      },
      {
        title: 'Queue jobs',
        panels: [
          executionsPanel(QUEUE_JOB_FAMILY, 'workspace', WS, ['job_type', 'status'], '{{job_type}} {{status}}'),
          failureRatioPanel(QUEUE_JOB_FAMILY, 'workspace', W, '$workspace'),
          percentilesPanel(QUEUE_JOB_FAMILY, 'workspace', W, ''),
        ],
      },
      {
        title: 'Among all workspaces',
        panels: [
          {
            title: 'Share of all action executions',
            description: 'This workspace\'s action executions over those of all workspaces (including __other__).',
            unit: 'percentunit',
            min: 0,
            max: 1,
            targets: [{ expr: `${selector(wsActions, [W])}\n/ scalar(sum(${wsActions}))`, legend: '$workspace' }],
          },
          {
            title: 'Busiest workspaces',
            description: `The 10 workspaces with the most action executions (recording rule ${wsActions}); __other__ holds every workspace not allowlisted.`,
            unit: 'ops',
            type: 'table',
            targets: [{ expr: `topk(10, ${wsActions})`, legend: `{{${options.workspaceLabel}}}` }],
          },
          {
            title: 'Highest action failure ratios',
            description: `The 10 workspaces whose action executions fail most (recording rule ${recorded.failureRatio('workspace', ACTION_FAMILY)}).`,
            unit: 'percentunit',
            type: 'table',
            targets: [{ expr: `topk(10, ${recorded.failureRatio('workspace', ACTION_FAMILY)})`, legend: `{{${options.workspaceLabel}}}` }],
          },
        ],
      },
    ],
  };
}
