/**
 * The Go processor's own tests (otel-collector/processor/workspacepolicyprocessor:
 * policy parity with the shared vectors, merge rules, live file reload,
 * monotonic state, generated component/telemetry tests), run from `npm test`
 * so the README's test command and CI run them. A missing Go toolchain is a
 * failure, never a skip.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const MODULE = join(__dirname, '..', '..', 'otel-collector', 'processor', 'workspacepolicyprocessor');

function goBinary(): string {
  const found = spawnSync('bash', ['-c', 'command -v go'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  if (existsSync('/usr/local/go/bin/go')) return '/usr/local/go/bin/go';
  throw new Error('Go is not installed (needed for the collector and its processor): see scripts/ensure-test-deps.sh');
}

describe('workspacepolicyprocessor (Go)', () => {
  it('go test ./... passes (vectors, merge, reload, monotonic state, generated tests)', () => {
    const r = spawnSync(goBinary(), ['test', '-count=1', './...'], { cwd: MODULE, encoding: 'utf8', timeout: 15 * 60_000, env: { ...process.env, GOFLAGS: '-mod=readonly' } });
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.status, output).toBe(0);
    // every package ran (none "no test files" among those with tests), and the vector test was among them
    expect(output).toMatch(/^ok\s+\S+\/workspacepolicyprocessor\s/m);
    expect(output).toMatch(/^ok\s+\S+\/internal\/policy\s/m);
  }, 16 * 60_000);
});
