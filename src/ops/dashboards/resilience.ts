/** Resilience: circuit breakers, retries, dead-letter queues and rate limiters. */
import {
  circuitBreakerState,
  circuitBreakerTransitions,
  circuitBreakerTrips,
  deadLetterQueueReplays,
  deadLetterQueueSize,
  rateLimiterDelay,
  retryAttempts,
  retrySuccesses,
} from '../../catalogue/resilience';
import { count, series } from '../metrics';
import { maxBy, rate, selector, sumBy } from '../promql';
import { RATE_INTERVAL, quantileByPanel, type DashboardContext, type DashboardSpec } from './panels';

export function resilienceDashboard(ctx: DashboardContext): DashboardSpec {
  const S = ctx.series;
  return {
    uid: ctx.uid('resilience'),
    title: ctx.title('Resilience'),
    description: 'Circuit breakers, retries, dead-letter queues and rate limiters.',
    file: 'resilience.json',
    variables: ['job'],
    rows: [
      {
        title: 'Circuit breakers',
        panels: [
          {
            title: 'Open circuit breakers',
            description: '1 while a breaker is open (alert: CircuitBreakerOpen).',
            unit: 'short',
            min: 0,
            max: 1,
            targets: [{ expr: maxBy(['job', 'breaker'], selector(series(circuitBreakerState), [...S, 'state="open"'])), legend: '{{job}} {{breaker}}' }],
          },
          {
            title: 'Breaker state',
            description: 'One series per state: 1 for the current state.',
            unit: 'short',
            min: 0,
            max: 1,
            targets: [{ expr: maxBy(['breaker', 'state'], selector(series(circuitBreakerState), S)), legend: '{{breaker}} {{state}}' }],
          },
          {
            title: 'Breaker transitions per second',
            description: 'State changes per breaker.',
            unit: 'ops',
            targets: [{ expr: sumBy(['breaker', 'from', 'to'], rate(selector(series(circuitBreakerTransitions), S), RATE_INTERVAL)), legend: '{{breaker}} {{from}} → {{to}}' }],
          },
          {
            title: 'Breaker trips per second',
            description: 'Transitions to open.',
            unit: 'ops',
            targets: [{ expr: sumBy(['breaker'], rate(selector(series(circuitBreakerTrips), S), RATE_INTERVAL)), legend: '{{breaker}}' }],
          },
        ],
      },
      {
        title: 'Retries',
        panels: [
          {
            title: 'Retry attempts per second',
            description: 'Attempts after the first, per operation.',
            unit: 'ops',
            targets: [{ expr: sumBy(['operation'], rate(selector(series(retryAttempts), S), RATE_INTERVAL)), legend: '{{operation}}' }],
          },
          {
            title: 'Successes after retrying per second',
            description: 'Operations that succeeded after at least one retry.',
            unit: 'ops',
            targets: [{ expr: sumBy(['operation'], rate(selector(series(retrySuccesses), S), RATE_INTERVAL)), legend: '{{operation}}' }],
          },
        ],
      },
      {
        title: 'Dead letters',
        panels: [
          {
            title: 'Dead-letter queue size',
            description: 'Messages in each dead-letter queue (alert: DeadLetterQueueGrowing).',
            unit: 'short',
            targets: [{ expr: maxBy(['job', 'queue'], selector(series(deadLetterQueueSize), S)), legend: '{{job}} {{queue}}' }],
          },
          {
            title: 'Dead-letter replays per second',
            description: 'Replays per queue and outcome.',
            unit: 'ops',
            targets: [{ expr: sumBy(['queue', 'status'], rate(selector(series(deadLetterQueueReplays), S), RATE_INTERVAL)), legend: '{{queue}} {{status}}' }],
          },
        ],
      },
      {
        title: 'Rate limiters',
        panels: [
          quantileByPanel('Rate-limiter delay', 'p50 and p95 of the time calls waited for a limiter.', rateLimiterDelay, 'baseline', S, ['limiter'], '{{limiter}}', 's', [0.5, 0.95]),
          {
            title: 'Calls through rate limiters per second',
            description: 'Calls that passed a limiter (waiting or not).',
            unit: 'ops',
            targets: [{ expr: sumBy(['limiter'], rate(selector(count(rateLimiterDelay), S), RATE_INTERVAL)), legend: '{{limiter}}' }],
          },
        ],
      },
    ],
  };
}
