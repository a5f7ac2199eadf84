/**
 * Database operations: how long each operation took, by operation,
 * table and outcome status, and errors by type. `table` is the table or
 * collection name and `operation` the verb (`select`, `insert`, `upsert`...),
 * never the query text.
 */
import type { MetricDeclaration } from '../model/types';
import { counter, histogram } from '../record/instruments';
import { LabelCap, defineRecorder, nonNegative, required, status, type Status } from '../record/validate';

/** From 1 ms: most queries are faster than the general 5 ms first bucket. */
export const DATABASE_DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

export const databaseOperationDuration: MetricDeclaration = {
  name: 'database.operation.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Database operation duration in seconds, by operation, table and outcome status.',
  labels: ['operation', 'table', 'status'],
  buckets: DATABASE_DURATION_BUCKETS_SECONDS,
};

export const databaseErrors: MetricDeclaration = {
  name: 'database.errors',
  kind: 'counter',
  unit: '{error}',
  description: 'Failed database operations, by operation, table and error type.',
  labels: ['operation', 'table', 'error_type'],
};

export const DATABASE_METRICS = [databaseOperationDuration, databaseErrors] as const;

export interface DatabaseOperation {
  operation: string;
  table: string;
  status: Status | 'success' | 'failure';
  durationSeconds: number;
  /**
   * A bounded error class (`unique_violation`, `23505`, `connection`): counted
   * in `database_errors_total` when the status is `error` or `timeout`
   * (default: `timeout` for timeouts, `unknown` otherwise).
   */
  errorType?: string;
}

const operations = new LabelCap(50);
const tables = new LabelCap(300);
const errorTypes = new LabelCap(100);

/** Record one operation: its duration always, and an error when the status is `error` or `timeout`. */
export const recordDatabaseOperation = defineRecorder<DatabaseOperation>('recordDatabaseOperation', (input) => {
  const operation = required(operations.value(input.operation), 'operation is missing');
  const table = required(tables.value(input.table), 'table is missing');
  const outcome = required(status(input.status), 'status is not a known status');
  const duration = required(nonNegative(input.durationSeconds), 'durationSeconds must be a finite number >= 0');
  histogram(databaseOperationDuration).record(duration, { operation, table, status: outcome });
  if (outcome === 'error' || outcome === 'timeout') {
    const errorType = errorTypes.value(input.errorType) ?? (outcome === 'timeout' ? 'timeout' : 'unknown');
    counter(databaseErrors).add(1, { operation, table, error_type: errorType });
  }
});
