/** Action executions: which provider action ran, how it ended, how long it took. */
import { DURATION_BUCKETS_SECONDS, type MetricDeclaration } from '../model/types';
import { counter, histogram } from '../record/instruments';
import { LabelCap, defineRecorder, nonNegative, required, status, type Status } from '../record/validate';
import { withWorkspace } from '../record/workspace-attribute';

const LABELS = ['provider', 'action', 'status'] as const;

export const actionExecutions: MetricDeclaration = {
  name: 'action.executions',
  kind: 'counter',
  unit: '{execution}',
  description: 'Action executions by provider, action and outcome status.',
  labels: LABELS,
  workspaceStream: true,
};

export const actionDuration: MetricDeclaration = {
  name: 'action.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Action execution duration in seconds, by provider, action and outcome status.',
  labels: LABELS,
  buckets: DURATION_BUCKETS_SECONDS,
  workspaceStream: true,
};

export const ACTION_METRICS = [actionExecutions, actionDuration] as const;

export interface ActionExecution {
  /** Integration or provider, e.g. `google`. */
  provider: string;
  /** The action, e.g. `gmail.send`. */
  action: string;
  status: Status | 'success' | 'failure';
  durationSeconds: number;
  /** Raw tenant id; the policy keeps it only if allowlisted (else `__other__`). */
  workspaceId?: string;
}

const providers = new LabelCap(100);
const actions = new LabelCap(500);

export const recordActionExecution = defineRecorder<ActionExecution>('recordActionExecution', (input) => {
  const attributes = withWorkspace(
    {
      provider: required(providers.value(input.provider), 'provider is missing'),
      action: required(actions.value(input.action), 'action is missing'),
      status: required(status(input.status), 'status is not a known status'),
    },
    input.workspaceId,
  );
  const duration = required(nonNegative(input.durationSeconds), 'durationSeconds must be a finite number >= 0');
  counter(actionExecutions).add(1, attributes);
  histogram(actionDuration).record(duration, attributes);
});
