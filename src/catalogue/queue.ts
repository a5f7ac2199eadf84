/** Queue jobs: jobs processed by type and outcome, and how long they ran. */
import { DURATION_BUCKETS_SECONDS, type MetricDeclaration } from '../model/types';
import { counter, histogram } from '../record/instruments';
import { LabelCap, defineRecorder, nonNegative, required, status, type Status } from '../record/validate';
import { withWorkspace } from '../record/workspace-attribute';

/** `queue` is set by the job-outcome hooks (src/queues/hooks/); `recordQueueJob` leaves it out unless given. */
const LABELS = ['queue', 'job_type', 'status'] as const;

export const queueJobs: MetricDeclaration = {
  name: 'queue.jobs',
  kind: 'counter',
  unit: '{job}',
  description: 'Queue jobs processed, by queue, job type and outcome status.',
  labels: LABELS,
  workspaceStream: true,
};

export const queueJobDuration: MetricDeclaration = {
  name: 'queue.job.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Queue job run time in seconds, by queue, job type and outcome status.',
  labels: LABELS,
  buckets: DURATION_BUCKETS_SECONDS,
  workspaceStream: true,
};

export const QUEUE_JOB_METRICS = [queueJobs, queueJobDuration] as const;

export interface QueueJob {
  jobType: string;
  status: Status | 'success' | 'failure';
  durationSeconds: number;
  workspaceId?: string;
}

const jobTypes = new LabelCap(200);

export const recordQueueJob = defineRecorder<QueueJob>('recordQueueJob', (input) => {
  const attributes = withWorkspace(
    {
      job_type: required(jobTypes.value(input.jobType), 'jobType is missing'),
      status: required(status(input.status), 'status is not a known status'),
    },
    input.workspaceId,
  );
  const duration = required(nonNegative(input.durationSeconds), 'durationSeconds must be a finite number >= 0');
  counter(queueJobs).add(1, attributes);
  histogram(queueJobDuration).record(duration, attributes);
});
