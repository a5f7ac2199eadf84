/**
 * Workflows and their steps: executions and durations by workflow
 * (policy-bounded), step type and outcome status, with the workspace stream.
 */
import { DURATION_BUCKETS_SECONDS, type MetricDeclaration } from '../model/types';
import { counter, histogram } from '../record/instruments';
import { LabelCap, defineRecorder, nonNegative, required, status, type Status } from '../record/validate';
import { withWorkspace } from '../record/workspace-attribute';

const WORKFLOW_LABELS = ['workflow', 'status'] as const;
const STEP_LABELS = ['workflow', 'step_type', 'status'] as const;

export const workflowExecutions: MetricDeclaration = {
  name: 'workflow.executions',
  kind: 'counter',
  unit: '{execution}',
  description: 'Workflow executions by workflow and outcome status.',
  labels: WORKFLOW_LABELS,
  workspaceStream: true,
};

export const workflowDuration: MetricDeclaration = {
  name: 'workflow.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Workflow execution duration in seconds, by workflow and outcome status.',
  labels: WORKFLOW_LABELS,
  buckets: DURATION_BUCKETS_SECONDS,
  workspaceStream: true,
};

export const workflowStepExecutions: MetricDeclaration = {
  name: 'workflow.step.executions',
  kind: 'counter',
  unit: '{execution}',
  description: 'Workflow step executions by workflow, step type and outcome status.',
  labels: STEP_LABELS,
  workspaceStream: true,
};

export const workflowStepDuration: MetricDeclaration = {
  name: 'workflow.step.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Workflow step duration in seconds, by workflow, step type and outcome status.',
  labels: STEP_LABELS,
  buckets: DURATION_BUCKETS_SECONDS,
  workspaceStream: true,
};

export const WORKFLOW_METRICS = [workflowExecutions, workflowDuration, workflowStepExecutions, workflowStepDuration] as const;

export interface WorkflowExecution {
  /** The workflow's name or definition id (never a run id): the first 200 distinct values are kept, later ones fold into `__other__`. */
  workflow: string;
  status: Status | 'success' | 'failure';
  durationSeconds: number;
  /** Raw tenant id; the policy keeps it only if allowlisted (else `__other__`). */
  workspaceId?: string;
}

export interface WorkflowStep {
  workflow: string;
  /** The kind of step (`http`, `transform`, `llm`...), not the step's id. */
  stepType: string;
  status: Status | 'success' | 'failure';
  durationSeconds: number;
  workspaceId?: string;
}

const workflows = new LabelCap(200);
const stepTypes = new LabelCap(100);

export const recordWorkflowExecution = defineRecorder<WorkflowExecution>('recordWorkflowExecution', (input) => {
  const attributes = withWorkspace(
    {
      workflow: required(workflows.value(input.workflow), 'workflow is missing'),
      status: required(status(input.status), 'status is not a known status'),
    },
    input.workspaceId,
  );
  const duration = required(nonNegative(input.durationSeconds), 'durationSeconds must be a finite number >= 0');
  counter(workflowExecutions).add(1, attributes);
  histogram(workflowDuration).record(duration, attributes);
});

export const recordWorkflowStep = defineRecorder<WorkflowStep>('recordWorkflowStep', (input) => {
  const attributes = withWorkspace(
    {
      workflow: required(workflows.value(input.workflow), 'workflow is missing'),
      step_type: required(stepTypes.value(input.stepType), 'stepType is missing'),
      status: required(status(input.status), 'status is not a known status'),
    },
    input.workspaceId,
  );
  const duration = required(nonNegative(input.durationSeconds), 'durationSeconds must be a finite number >= 0');
  counter(workflowStepExecutions).add(1, attributes);
  histogram(workflowStepDuration).record(duration, attributes);
});
