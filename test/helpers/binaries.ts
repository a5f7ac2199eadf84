/**
 * Locating the real binaries the end-to-end tests run. A missing binary is a
 * failure (with the command that installs it), never a silent skip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
let collector: string | undefined;

/** The custom collector: $OTELCOL_BIN, or `otel-collector/build.sh` (which reuses its cache). */
export function collectorBinary(): string {
  if (collector !== undefined) return collector;
  const fromEnv = process.env.OTELCOL_BIN;
  if (fromEnv && existsSync(fromEnv)) return (collector = fromEnv);
  let output: string;
  try {
    output = execFileSync('bash', [join(ROOT, 'otel-collector', 'build.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` },
      timeout: 30 * 60_000,
    });
  } catch (error) {
    throw new Error(`the collector could not be built (npm run collector:build): ${(error as Error).message}`);
  }
  const path = output.trim().split('\n').pop() ?? '';
  if (!existsSync(path)) throw new Error(`collector build printed ${JSON.stringify(path)}, which is not a file`);
  return (collector = path);
}

function onPath(name: string): string | undefined {
  try {
    return execFileSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function prometheusBinary(): string {
  const path = onPath('prometheus');
  if (!path) throw new Error('prometheus is not installed: run `bash scripts/ensure-test-deps.sh` (apt-get install prometheus)');
  return path;
}

export function promtoolBinary(): string {
  const path = onPath('promtool');
  if (!path) throw new Error('promtool is not installed: run `bash scripts/ensure-test-deps.sh` (apt-get install prometheus)');
  return path;
}
