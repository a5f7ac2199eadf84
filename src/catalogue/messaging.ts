/**
 * Message bus: messages sent between agents or services, how long
 * the receiver took to process them, and how many wait in each queue.
 */
import type { Attributes } from '@opentelemetry/api';
import { DURATION_BUCKETS_SECONDS, type MetricDeclaration } from '../model/types';
import { counter, histogram } from '../record/instruments';
import { CurrentValues, defineObserver } from '../record/current-value';
import { LabelCap, defineRecorder, nonNegative, required, status, type Status } from '../record/validate';

export const messageBusMessages: MetricDeclaration = {
  name: 'message_bus.messages',
  kind: 'counter',
  unit: '{message}',
  description: 'Messages sent on the bus, by sender, receiver and message type.',
  labels: ['from', 'to', 'type'],
};

export const messageBusProcessingDuration: MetricDeclaration = {
  name: 'message_bus.processing.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Message processing duration in seconds, by receiver, message type and outcome status.',
  labels: ['to', 'type', 'status'],
  buckets: DURATION_BUCKETS_SECONDS,
};

export const messageBusQueueDepth: MetricDeclaration = {
  name: 'message_bus.queue.depth',
  kind: 'observableGauge',
  unit: '{message}',
  description: 'Messages waiting, per bus queue (usually one per receiver).',
  labels: ['queue'],
};

export const MESSAGING_METRICS = [messageBusMessages, messageBusProcessingDuration, messageBusQueueDepth] as const;

export interface BusMessage {
  /** Sender (agent or service name): bounded. */
  from: string;
  /** Receiver: bounded. */
  to: string;
  /** Message type (`task.assign`): bounded. */
  type: string;
}
export interface BusMessageProcessing {
  /** The receiver that processed it. */
  to: string;
  type: string;
  status: Status | 'success' | 'failure';
  durationSeconds: number;
}
export interface BusQueueRef {
  queue: string;
}
export interface BusQueueDepth extends BusQueueRef {
  depth: number;
}

// Senders and receivers share one bound: they are the same set of agents.
const endpoints = new LabelCap(200);
const types = new LabelCap(200);
const queues = new LabelCap(200);

export const recordBusMessage = defineRecorder<BusMessage>('recordBusMessage', (input) => {
  counter(messageBusMessages).add(1, {
    from: required(endpoints.value(input.from), 'from is missing'),
    to: required(endpoints.value(input.to), 'to is missing'),
    type: required(types.value(input.type), 'type is missing'),
  });
});

export const recordBusMessageProcessing = defineRecorder<BusMessageProcessing>('recordBusMessageProcessing', (input) => {
  const attributes = {
    to: required(endpoints.value(input.to), 'to is missing'),
    type: required(types.value(input.type), 'type is missing'),
    status: required(status(input.status), 'status is not a known status'),
  };
  histogram(messageBusProcessingDuration).record(required(nonNegative(input.durationSeconds), 'durationSeconds must be a finite number >= 0'), attributes);
});

function queueAttributes(input: Record<string, unknown>): Attributes {
  return { queue: required(queues.value(input.queue), 'queue is missing') };
}

const depths = new CurrentValues(messageBusQueueDepth);

export const setBusQueueDepth = defineRecorder<BusQueueDepth>('setBusQueueDepth', (input) => {
  depths.set([{ value: required(nonNegative(input.depth), 'depth must be a finite number >= 0'), attributes: queueAttributes(input) }]);
});

export const observeBusQueueDepth = defineObserver<BusQueueRef, number>('observeBusQueueDepth', messageBusQueueDepth, queueAttributes, (returned, attributes) => [
  { value: required(nonNegative(returned), 'callback must return a finite number >= 0'), attributes },
]);
