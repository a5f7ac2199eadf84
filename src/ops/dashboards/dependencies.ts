/** Dependencies: caches, database, message bus and sessions. */
import { cacheEvictions, cacheOperations, cacheSize } from '../../catalogue/cache';
import { databaseErrors, databaseOperationDuration } from '../../catalogue/database';
import { messageBusMessages, messageBusProcessingDuration, messageBusQueueDepth } from '../../catalogue/messaging';
import { sessionActive, sessionDuration, sessionRefreshes } from '../../catalogue/sessions';
import { count, series } from '../metrics';
import { maxBy, rate, selector, sumBy } from '../promql';
import { recorded } from '../rules';
import { JOB, RATE_INTERVAL, quantileByPanel, type DashboardContext, type DashboardSpec } from './panels';

export function dependenciesDashboard(ctx: DashboardContext): DashboardSpec {
  const S = ctx.series;
  const db = databaseOperationDuration;
  return {
    uid: ctx.uid('dependencies'),
    title: ctx.title('Caches, database, message bus, sessions'),
    description: 'What services depend on: cache efficiency, database operations, the message bus and sessions.',
    file: 'dependencies.json',
    variables: ['job'],
    rows: [
      {
        title: 'Caches',
        panels: [
          {
            title: 'Cache hit ratio',
            description: `Hits over hits + misses, per cache (recording rule ${recorded.cacheHitRatio()}).`,
            unit: 'percentunit',
            min: 0,
            max: 1,
            targets: [{ expr: selector(recorded.cacheHitRatio(), [JOB]), legend: '{{job}} {{cache}}' }],
          },
          {
            title: 'Cache operations per second',
            description: 'Per cache, operation and result.',
            unit: 'ops',
            targets: [{ expr: sumBy(['cache', 'operation', 'result'], rate(selector(series(cacheOperations), S), RATE_INTERVAL)), legend: '{{cache}} {{operation}} {{result}}' }],
          },
          {
            title: 'Cache entries',
            description: 'Entries held, per cache (summed over replicas).',
            unit: 'short',
            targets: [{ expr: sumBy(['cache'], selector(series(cacheSize), S)), legend: '{{cache}}' }],
          },
          {
            title: 'Cache evictions per second',
            description: 'Per cache and reason.',
            unit: 'ops',
            targets: [{ expr: sumBy(['cache', 'reason'], rate(selector(series(cacheEvictions), S), RATE_INTERVAL)), legend: '{{cache}} {{reason}}' }],
          },
        ],
      },
      {
        title: 'Database',
        panels: [
          {
            title: 'Database operations per second',
            description: 'Per operation, table and outcome.',
            unit: 'ops',
            targets: [{ expr: sumBy(['operation', 'table', 'status'], rate(selector(count(db), S), RATE_INTERVAL)), legend: '{{operation}} {{table}} {{status}}' }],
          },
          quantileByPanel('Database operation duration (p95)', 'p95 per operation and table.', db, 'baseline', S, ['operation', 'table'], '{{operation}} {{table}}'),
          {
            title: 'Database errors per second',
            description: 'Failed operations per operation and error type.',
            unit: 'ops',
            targets: [{ expr: sumBy(['operation', 'error_type'], rate(selector(series(databaseErrors), S), RATE_INTERVAL)), legend: '{{operation}} {{error_type}}' }],
          },
        ],
      },
      {
        title: 'Message bus',
        panels: [
          {
            title: 'Messages per second',
            description: 'Per sender, receiver and message type.',
            unit: 'ops',
            targets: [{ expr: sumBy(['from', 'to', 'type'], rate(selector(series(messageBusMessages), S), RATE_INTERVAL)), legend: '{{from}} → {{to}} {{type}}' }],
          },
          quantileByPanel('Message processing duration (p95)', 'p95 per receiver and message type.', messageBusProcessingDuration, 'baseline', S, ['to', 'type'], '{{to}} {{type}}'),
          {
            title: 'Bus queue depth',
            description: 'Messages waiting per bus queue.',
            unit: 'short',
            targets: [{ expr: maxBy(['queue'], selector(series(messageBusQueueDepth), S)), legend: '{{queue}}' }],
          },
        ],
      },
      {
        title: 'Sessions',
        panels: [
          {
            title: 'Active sessions',
            description: 'Sessions currently open (summed over replicas).',
            unit: 'short',
            targets: [{ expr: sumBy(['job'], selector(series(sessionActive), S)), legend: '{{job}}' }],
          },
          quantileByPanel('Session duration', 'p50 and p95 lifetime of sessions that ended.', sessionDuration, 'baseline', S, ['job'], '{{job}}', 's', [0.5, 0.95]),
          {
            title: 'Session refreshes per second',
            description: 'Per reason.',
            unit: 'ops',
            targets: [{ expr: sumBy(['reason'], rate(selector(series(sessionRefreshes), S), RATE_INTERVAL)), legend: '{{reason}}' }],
          },
        ],
      },
    ],
  };
}
