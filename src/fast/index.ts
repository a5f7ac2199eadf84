/** The fast recording path (METRICS_RECORDING_PATH=fast): see fast-path.ts and docs/PERFORMANCE.md. */
export { FastPath, attachProducer, firstNonCumulativeReader, instrumentSpec, type FastPathOptions } from './fast-path';
export { FastCounter, FastHistogram } from './instruments';
export { OVERFLOW_ATTRIBUTES } from './cells';
