/**
 * The kit's only output channel: one line per message on stderr, prefixed so a
 * host application's operators can grep for it. Warnings are rate-limited per
 * key, because a hot path that keeps failing must not flood the app's logs.
 */

const PREFIX = '[otel-workspace-metrics]';
const DEFAULT_WINDOW_MS = 60_000;

export type LogSink = (line: string) => void;

let sink: LogSink = (line) => {
  process.stderr.write(line + '\n');
};

/** Redirect output (tests capture lines; embedders may route to their logger). */
export function setLogSink(next: LogSink): LogSink {
  const previous = sink;
  sink = next;
  return previous;
}

function emit(level: 'error' | 'warn' | 'info', message: string): void {
  try {
    sink(`${PREFIX} ${level}: ${message}`);
  } catch {
    // A broken sink must never surface in the host application.
  }
}

export function logError(message: string): void {
  emit('error', message);
}

export function logInfo(message: string): void {
  emit('info', message);
}

interface WindowState {
  windowStart: number;
  suppressed: number;
}

const windows = new Map<string, WindowState>();
const MAX_KEYS = 1_000;

/**
 * Logs at most one line per `key` per window; the next line after a window
 * says how many were suppressed. Keys are code locations and reasons, never
 * user input, so the map stays small (and is capped regardless).
 */
export function warnRateLimited(key: string, message: string, windowMs = DEFAULT_WINDOW_MS): void {
  const now = Date.now();
  const state = windows.get(key);
  if (state !== undefined && now - state.windowStart < windowMs) {
    state.suppressed++;
    return;
  }
  const suppressed = state?.suppressed ?? 0;
  if (state === undefined && windows.size >= MAX_KEYS) windows.clear();
  windows.set(key, { windowStart: now, suppressed: 0 });
  emit('warn', suppressed > 0 ? `${message} (${suppressed} similar suppressed)` : message);
}

/** Test hook: forget rate-limit windows. */
export function resetLogWindows(): void {
  windows.clear();
}
