/** `otel-workspace-metrics/testing`: a kit exporting to memory, for tests of your own recording code. */
export { startInMemory, total, labelValues, type InMemoryKit } from '../testing/in-memory';
export { resetLogWindows } from '../log';
