/**
 * Job outcomes with no recording code in the worker: opt-in wrappers around
 * each library's job function that record `queue_jobs_total` and
 * `queue_job_duration_seconds` (and, with the workspace label on, their
 * `_by_workspace` streams, under the same policy as every recording) once per
 * job, with
 * - `queue`: the queue name under the queue label policy (src/queues/queue-label.ts),
 * - `job_type`: the job's name (BullMQ job name, pg-boss queue, graphile-worker task), bounded,
 * - `status`: `ok`, `retry` (failed, attempts left), `error` (failed for good),
 *   `timeout` (the library aborted it), from the outcome,
 * - the workspace from your extractor (`job => job.data.workspaceId`); an
 *   extractor that throws or returns no string records `__other__`.
 *
 * The wrappers never throw anything of their own into the worker: the job's
 * own result or error passes through untouched, recording failures are logged
 * (rate-limited) and swallowed. Nothing is loaded from the queue libraries:
 * the wrappers only call the functions you give them.
 */
import type { Attributes } from '@opentelemetry/api';
import { counter, histogram } from '../record/instruments';
import { BoundedLabel } from '../record/validate';
import { withWorkspace } from '../record/workspace-attribute';
import { queueJobDuration, queueJobs } from '../catalogue/queue';
import { warnRateLimited } from '../log';
import { QueueLabel, type QueueLabelOptions } from './queue-label';

export type JobOutcomeStatus = 'ok' | 'retry' | 'error' | 'timeout';

export interface JobOutcomeOptions<J> extends QueueLabelOptions {
  /** The job's workspace id (raw; the policy canonicalizes and allowlists it). */
  workspace?: (job: J) => unknown;
  /** Distinct job types kept (later ones fold into `__other__`); default 200. */
  maxJobTypes?: number;
}

/** One hook's bounded labels and its recording, shared by the three wrappers. */
class OutcomeRecorder<J> {
  private readonly queues: QueueLabel;
  private readonly jobTypes: BoundedLabel;

  constructor(
    private readonly hook: string,
    private readonly options: JobOutcomeOptions<J>,
  ) {
    this.queues = new QueueLabel(options);
    this.jobTypes = new BoundedLabel(options.maxJobTypes ?? 200);
  }

  record(job: J, queue: unknown, jobType: unknown, status: JobOutcomeStatus, seconds: number): void {
    try {
      let workspace: unknown;
      if (this.options.workspace !== undefined) {
        try {
          workspace = this.options.workspace(job);
        } catch {
          // A failing extractor folds into __other__: the job still counts.
          workspace = undefined;
          warnRateLimited(`job-outcome:${this.hook}:extractor`, `${this.hook}: the workspace extractor threw; recorded as __other__`);
        }
      }
      const attributes: Attributes = withWorkspace(
        { queue: this.queues.value(queue), job_type: this.jobTypes.value(jobType) ?? this.queues.value(queue), status },
        workspace,
      );
      counter(queueJobs).add(1, attributes);
      histogram(queueJobDuration).record(Number.isFinite(seconds) && seconds >= 0 ? seconds : 0, attributes);
    } catch {
      warnRateLimited(`job-outcome:${this.hook}:record`, `${this.hook}: recording a job outcome failed; the job itself is unaffected`);
    }
  }
}

function checked<O extends JobOutcomeOptions<never>>(hook: string, options: O | undefined): O {
  const resolved = options ?? ({} as O);
  if (resolved.workspace !== undefined && typeof resolved.workspace !== 'function') throw new TypeError(`${hook}: workspace must be a function (job) => id`);
  return resolved;
}

const seconds = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e9;

function errorName(error: unknown): string {
  return typeof (error as { name?: unknown })?.name === 'string' ? (error as { name: string }).name : '';
}

/* ---------------------------------------------------------------- BullMQ */

/** The fields of a BullMQ `Job` the hook reads. */
export interface BullMQJobLike {
  name: string;
  queueName?: string;
  data?: unknown;
  attemptsMade?: number;
  opts?: { attempts?: number };
}

/** BullMQ errors a processor throws to move its job on purpose (it runs again later): not a failure. */
const BULLMQ_DEFERRALS = new Set(['DelayedError', 'WaitingChildrenError', 'WaitingError', 'RateLimitError']);

/** Status of a BullMQ job whose processor threw. */
export function bullmqFailureStatus(job: BullMQJobLike, error: unknown): JobOutcomeStatus {
  const name = errorName(error);
  if (BULLMQ_DEFERRALS.has(name)) return 'retry';
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  if (name === 'UnrecoverableError') return 'error';
  // attemptsMade counts the attempts that failed before this one.
  const attempts = job.opts?.attempts ?? 1;
  return (job.attemptsMade ?? 0) + 1 < attempts ? 'retry' : 'error';
}

/**
 * Wrap a BullMQ processor: `new Worker('emails', instrumentBullMQProcessor(processor, { workspace: (job) => job.data.workspaceId }))`.
 * The queue label is the job's `queueName`.
 */
export function instrumentBullMQProcessor<J extends BullMQJobLike, A extends unknown[], R>(
  processor: (job: J, ...rest: A) => Promise<R>,
  options?: JobOutcomeOptions<J>,
): (job: J, ...rest: A) => Promise<R> {
  const recorder = new OutcomeRecorder<J>('instrumentBullMQProcessor', checked('instrumentBullMQProcessor', options));
  return async (job: J, ...rest: A): Promise<R> => {
    const started = process.hrtime.bigint();
    try {
      const result = await processor(job, ...rest);
      recorder.record(job, job?.queueName, job?.name, 'ok', seconds(started));
      return result;
    } catch (error) {
      let status: JobOutcomeStatus = 'error';
      try {
        status = bullmqFailureStatus(job, error);
      } catch {
        // a job object without the usual fields: a plain error
      }
      recorder.record(job, job?.queueName, job?.name, status, seconds(started));
      throw error;
    }
  };
}

/* --------------------------------------------------------------- pg-boss */

/** The fields of a pg-boss job the hook reads. */
export interface PgBossJobLike {
  id?: string;
  name: string;
  data?: unknown;
  retryCount?: number;
  /** Only with `includeMetadata: true`; without it a failure counts as `error`. */
  retryLimit?: number;
  signal?: AbortSignal;
}

export interface PgBossOutcomeOptions<J> extends JobOutcomeOptions<J> {
  /** The handler is a `perJobResults` one (pg-boss's option of the same name): each job's outcome is read from its result. */
  perJobResults?: boolean;
}

/** Status of a pg-boss job whose attempt failed. */
function pgBossFailureStatus(job: PgBossJobLike): JobOutcomeStatus {
  if (job.signal?.aborted === true) return 'timeout';
  return typeof job.retryLimit === 'number' && (job.retryCount ?? 0) < job.retryLimit ? 'retry' : 'error';
}

/**
 * Wrap a pg-boss work handler: `boss.work('emails', instrumentPgBossHandler(handler, { workspace: (job) => job.data.workspaceId }))`.
 * The handler gets a batch; every job in it gets the batch's outcome and
 * duration, or, with `perJobResults`, its own outcome from the handler's
 * result (`completed` → ok; `failed`, or no disposition → retry/error, as
 * pg-boss fails it; `deadletter` → error). Give pg-boss `includeMetadata: true`
 * so a failure with attempts left counts as `retry` (without `retryLimit` it is `error`).
 */
export function instrumentPgBossHandler<J extends PgBossJobLike, R>(
  handler: (jobs: J[]) => Promise<R>,
  options?: PgBossOutcomeOptions<J>,
): (jobs: J[]) => Promise<R> {
  const resolved = checked('instrumentPgBossHandler', options);
  const recorder = new OutcomeRecorder<J>('instrumentPgBossHandler', resolved);
  const perJob = resolved.perJobResults === true;
  const each = (jobs: J[], status: (job: J) => JobOutcomeStatus, elapsed: number): void => {
    if (!Array.isArray(jobs)) return;
    for (const job of jobs) {
      let outcome: JobOutcomeStatus = 'error';
      try {
        outcome = status(job);
      } catch {
        // keep 'error'
      }
      recorder.record(job, job?.name, job?.name, outcome, elapsed);
    }
  };
  const fromResults = (result: unknown): ((job: J) => JobOutcomeStatus) => {
    if (!Array.isArray(result)) return pgBossFailureStatus;
    const disposition = new Map<unknown, unknown>();
    for (const item of result) if (typeof item === 'object' && item !== null) disposition.set((item as { id?: unknown }).id, (item as { status?: unknown }).status);
    return (job) => {
      const status = disposition.get((job as { id?: unknown }).id);
      return status === 'completed' ? 'ok' : status === 'deadletter' ? 'error' : pgBossFailureStatus(job);
    };
  };
  return async (jobs: J[]): Promise<R> => {
    const started = process.hrtime.bigint();
    try {
      const result = await handler(jobs);
      each(jobs, perJob ? fromResults(result) : (job) => (job.signal?.aborted === true ? 'timeout' : 'ok'), seconds(started));
      return result;
    } catch (error) {
      each(jobs, pgBossFailureStatus, seconds(started));
      throw error;
    }
  };
}

/* ------------------------------------------------------- graphile-worker */

/** The fields of graphile-worker's `helpers.job` the hook reads. */
export interface GraphileJobLike {
  task_identifier: string;
  payload?: unknown;
  /** Already counts the running attempt. */
  attempts: number;
  max_attempts: number;
}

/** A task as the hook sees it (method syntax: a task typed with graphile-worker's own `JobHelpers` fits). */
type GraphileTask = { task(payload: unknown, helpers: { job: GraphileJobLike }): unknown }['task'];

/**
 * Wrap a graphile-worker task list: `run({ taskList: instrumentTaskList(taskList, { workspace: (job) => job.payload.workspaceId }) })`.
 * The queue label and the job type are the task identifier.
 */
export function instrumentTaskList<T extends Record<string, GraphileTask | undefined>>(taskList: T, options?: JobOutcomeOptions<GraphileJobLike>): T {
  const recorder = new OutcomeRecorder<GraphileJobLike>('instrumentTaskList', checked('instrumentTaskList', options));
  const wrapped: Record<string, GraphileTask | undefined> = {};
  for (const [identifier, task] of Object.entries(taskList)) {
    if (typeof task !== 'function') {
      wrapped[identifier] = task;
      continue;
    }
    wrapped[identifier] = async (payload, helpers) => {
      const started = process.hrtime.bigint();
      const job = helpers?.job;
      try {
        const result = await task(payload, helpers);
        recorder.record(job, job?.task_identifier ?? identifier, job?.task_identifier ?? identifier, 'ok', seconds(started));
        return result;
      } catch (error) {
        const status: JobOutcomeStatus =
          typeof job?.attempts === 'number' && typeof job?.max_attempts === 'number' && job.attempts < job.max_attempts ? 'retry' : 'error';
        recorder.record(job, job?.task_identifier ?? identifier, job?.task_identifier ?? identifier, status, seconds(started));
        throw error;
      }
    };
  }
  return wrapped as T;
}
