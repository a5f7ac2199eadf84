/**
 * The kit's log lines during each test of the calling file: a sink installed
 * before each test (rate-limit windows reset, the list emptied) and the
 * previous sink put back after it. Call once at the top level of a test file.
 */
import { afterEach, beforeEach } from 'vitest';
import { resetLogWindows, setLogSink, type LogSink } from '../../src/log';

export function captureLogs(): string[] {
  const lines: string[] = [];
  let previous: LogSink | undefined;
  beforeEach(() => {
    lines.length = 0;
    resetLogWindows();
    previous = setLogSink((line) => lines.push(line));
  });
  afterEach(() => {
    if (previous) setLogSink(previous);
  });
  return lines;
}
