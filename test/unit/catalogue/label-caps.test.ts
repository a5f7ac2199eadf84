/**
 * Every bounded label of every typed helper, at its cap: the first `cap`
 * distinct values keep their own series, every later one folds into
 * `__other__`, and no recording is lost. The caps are written here as
 * literals (what the catalogue promises), independent of the code.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as api from '../../../src/index';
import * as decls from '../../../src/exports/catalogue';
import { streamName, type MetricDeclaration } from '../../../src/model/types';
import { labelValues, startInMemory, total } from '../../helpers/in-memory';

type AnyHelper = (input: unknown) => void;

interface Row {
  helper: AnyHelper;
  valid: Record<string, unknown>;
  field: string;
  label: string;
  cap: number;
  decl: MetricDeclaration;
  /** Places of the cap taken by the valid input's other fields (from/to share one cap). */
  shared?: number;
  /** A counter or histogram: every recording is counted (gauges keep one value per series). */
  counted?: boolean;
}

const ROWS: Row[] = [
  { helper: api.recordActionExecution as AnyHelper, valid: { provider: 'p', action: 'a', status: 'ok', durationSeconds: 1 }, field: 'provider', label: 'provider', cap: 100, decl: decls.actionExecutions, counted: true },
  { helper: api.recordActionExecution as AnyHelper, valid: { provider: 'p', action: 'a', status: 'ok', durationSeconds: 1 }, field: 'action', label: 'action', cap: 500, decl: decls.actionExecutions, counted: true },
  { helper: api.recordQueueJob as AnyHelper, valid: { jobType: 'j', status: 'ok', durationSeconds: 1 }, field: 'jobType', label: 'job_type', cap: 200, decl: decls.queueJobs, counted: true },
  { helper: api.recordWorkflowExecution as AnyHelper, valid: { workflow: 'w', status: 'ok', durationSeconds: 1 }, field: 'workflow', label: 'workflow', cap: 200, decl: decls.workflowExecutions, counted: true },
  { helper: api.recordWorkflowStep as AnyHelper, valid: { workflow: 'w', stepType: 's', status: 'ok', durationSeconds: 1 }, field: 'stepType', label: 'step_type', cap: 100, decl: decls.workflowStepExecutions, counted: true },
  { helper: api.recordWorkerRestart as AnyHelper, valid: { worker: 'w', reason: 'crash' }, field: 'worker', label: 'worker', cap: 100, decl: decls.workerRestarts, counted: true },
  { helper: api.recordWorkerRestart as AnyHelper, valid: { worker: 'w', reason: 'crash' }, field: 'reason', label: 'reason', cap: 50, decl: decls.workerRestarts, counted: true },
  { helper: api.setActiveWorkers as AnyHelper, valid: { worker: 'w', count: 1 }, field: 'worker', label: 'worker', cap: 100, decl: decls.workerActive },
  { helper: api.recordCacheOperation as AnyHelper, valid: { cache: 'c', operation: 'get', result: 'hit' }, field: 'cache', label: 'cache', cap: 100, decl: decls.cacheOperations, counted: true },
  { helper: api.recordCacheOperation as AnyHelper, valid: { cache: 'c', operation: 'get', result: 'hit' }, field: 'operation', label: 'operation', cap: 30, decl: decls.cacheOperations, counted: true },
  { helper: api.recordCacheEviction as AnyHelper, valid: { cache: 'c', reason: 'ttl' }, field: 'reason', label: 'reason', cap: 30, decl: decls.cacheEvictions, counted: true },
  { helper: api.setCacheSize as AnyHelper, valid: { cache: 'c', entries: 1 }, field: 'cache', label: 'cache', cap: 100, decl: decls.cacheSize },
  { helper: api.recordDatabaseOperation as AnyHelper, valid: { operation: 'select', table: 't', status: 'ok', durationSeconds: 1 }, field: 'operation', label: 'operation', cap: 50, decl: decls.databaseOperationDuration, counted: true },
  { helper: api.recordDatabaseOperation as AnyHelper, valid: { operation: 'select', table: 't', status: 'ok', durationSeconds: 1 }, field: 'table', label: 'table', cap: 300, decl: decls.databaseOperationDuration, counted: true },
  { helper: api.recordDatabaseOperation as AnyHelper, valid: { operation: 'select', table: 't', status: 'error', durationSeconds: 1, errorType: 'e' }, field: 'errorType', label: 'error_type', cap: 100, decl: decls.databaseErrors, counted: true },
  { helper: api.recordBusMessage as AnyHelper, valid: { from: 'a', to: 'b', type: 't' }, field: 'from', label: 'from', cap: 200, shared: 1, decl: decls.messageBusMessages, counted: true },
  { helper: api.recordBusMessage as AnyHelper, valid: { from: 'a', to: 'b', type: 't' }, field: 'type', label: 'type', cap: 200, decl: decls.messageBusMessages, counted: true },
  { helper: api.setBusQueueDepth as AnyHelper, valid: { queue: 'q', depth: 1 }, field: 'queue', label: 'queue', cap: 200, decl: decls.messageBusQueueDepth },
  { helper: api.recordCircuitBreakerTransition as AnyHelper, valid: { breaker: 'b', from: 'open', to: 'closed' }, field: 'breaker', label: 'breaker', cap: 200, decl: decls.circuitBreakerTransitions, counted: true },
  { helper: api.recordRetryAttempt as AnyHelper, valid: { operation: 'o' }, field: 'operation', label: 'operation', cap: 200, decl: decls.retryAttempts, counted: true },
  { helper: api.recordDeadLetterReplay as AnyHelper, valid: { queue: 'q', status: 'ok' }, field: 'queue', label: 'queue', cap: 100, decl: decls.deadLetterQueueReplays, counted: true },
  { helper: api.recordRateLimiterDelay as AnyHelper, valid: { limiter: 'l', durationSeconds: 1 }, field: 'limiter', label: 'limiter', cap: 50, decl: decls.rateLimiterDelay, counted: true },
  { helper: api.recordSessionRefresh as AnyHelper, valid: { reason: 'proactive' }, field: 'reason', label: 'reason', cap: 50, decl: decls.sessionRefreshes, counted: true },
];

afterEach(async () => {
  await api.activeKit()?.shutdown();
});

describe('bounded labels at their caps', () => {
  for (const row of ROWS) {
    it(`${row.decl.name} ${row.label}: ${row.cap} values, then __other__`, async () => {
      const { collect } = startInMemory({});
      const recordings = row.cap + 5;
      for (let i = 0; i < recordings; i++) row.helper({ ...row.valid, [row.field]: `v-${i}` });
      const metric = (await collect()).get(streamName(row.decl, 'baseline'));
      const kept = row.cap - (row.shared ?? 0);
      expect(labelValues(metric, row.label)).toEqual(new Set([...Array.from({ length: kept }, (_, i) => `v-${i}`), '__other__']));
      expect(metric!.dataPoints).toHaveLength(kept + 1);
      if (row.counted) expect(total(metric)).toBe(recordings);
    });
  }
});
