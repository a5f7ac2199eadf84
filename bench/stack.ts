/**
 * The real collector and Prometheus for the benchmarks, through the test
 * helpers (test/helpers/{collector,prometheus,processes}.ts). Compiled into
 * dist-bench/, those helpers resolve `otel-collector/` relative to their own
 * directory, so config files are passed as paths relative to it, and the
 * collector binary is located here (OTELCOL_BIN, else otel-collector/build.sh,
 * which reuses its cache) and handed over through OTELCOL_BIN.
 */
import './vitest-shim';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { startCollector, type RunningCollector } from '../test/helpers/collector';
import { startPrometheus, type RunningPrometheus } from '../test/helpers/prometheus';
import { spawnTracked, type Tracked } from '../test/helpers/processes';
import { ROOT } from './common';

export { startCollector, startPrometheus, spawnTracked, type RunningCollector, type RunningPrometheus, type Tracked };
export { freePort, waitFor } from '../test/helpers/processes';

const HELPER_CONFIG_DIR = join(dirname(require.resolve('../test/helpers/collector')), '..', '..', 'otel-collector');

/** A config file under the repository, as the collector helper's `configs` entry. */
export function collectorConfig(pathFromRoot: string): string {
  return relative(HELPER_CONFIG_DIR, join(ROOT, pathFromRoot));
}

export function ensureCollectorBinary(): string {
  const fromEnv = process.env.OTELCOL_BIN;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const output = execFileSync('bash', [join(ROOT, 'otel-collector', 'build.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` },
    timeout: 30 * 60_000,
  });
  const path = output.trim().split('\n').pop() ?? '';
  if (!existsSync(path)) throw new Error(`otel-collector/build.sh printed ${JSON.stringify(path)}, not a file`);
  process.env.OTELCOL_BIN = path;
  return path;
}

/** Cumulative user + system CPU seconds of a process, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ": state is field 3, utime field 14, stime field 15 (1-based in proc(5)).
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return (utime + stime) / ticks;
}
