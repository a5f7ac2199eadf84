import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/cli/main';
import { allowlistInFile } from '../../../src/cli/render';
import type { CliIo } from '../../../src/cli/io';

const dir = mkdtempSync(join(tmpdir(), 'owm-cli-render-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env, stdin: async () => '' };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

describe('otel-workspace-metrics render', () => {
  const file = join(dir, 'allowlist.txt');
  writeFileSync(file, '# from the file\nGlobex\ninitech, team-eng/*\nBad Id!\n');
  const env = { METRICS_WORKSPACE_ALLOWLIST: 'acme, umbrella,acme', METRICS_WORKSPACE_ALLOWLIST_FILE: file };

  it('prints the union of env and file, canonical and sorted, as the collector env variable', async () => {
    const { code, stdout, stderr } = await cli(['render'], env);
    expect(code).toBe(0);
    expect(stdout).toBe('METRICS_WORKSPACE_ALLOWLIST=acme,globex,initech,team-eng/*,umbrella\n');
    expect(stderr).toContain('"Bad Id!" is not a canonical allowlist entry');
  });

  it('prints the bare list with --format list, and an empty list when there is none', async () => {
    expect((await cli(['render', '--format', 'list'], env)).stdout).toBe('acme,globex,initech,team-eng/*,umbrella\n');
    expect((await cli(['render'], {})).stdout).toBe('METRICS_WORKSPACE_ALLOWLIST=\n');
  });

  it('takes the sources from flags over the environment', async () => {
    const { stdout } = await cli(['render', '--allowlist', 'x1,x2', '--allowlist-file', ''], env);
    expect(stdout).toBe('METRICS_WORKSPACE_ALLOWLIST=x1,x2\n');
  });

  it('writes --output and passes --check on the written file, env or list form', async () => {
    const out = join(dir, 'collector.env');
    expect((await cli(['render', '--output', out], env)).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('METRICS_WORKSPACE_ALLOWLIST=acme,globex,initech,team-eng/*,umbrella\n');
    const check = await cli(['render', '--check', out], env);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('in sync (5 entries)');

    const list = join(dir, 'list.txt');
    writeFileSync(list, 'umbrella,team-eng/*,initech,globex,acme\n'); // order and case do not matter
    expect((await cli(['render', '--check', list], env)).code).toBe(0);
  });

  it('finds the variable in a larger env file (export, quotes, other variables)', async () => {
    const envFile = join(dir, 'otelcol.env');
    writeFileSync(envFile, 'OTELCOL_LOG_LEVEL=debug\n# allowlist\nexport METRICS_WORKSPACE_ALLOWLIST="acme,globex,initech,team-eng/*,umbrella"\nOTHER=1\n');
    expect((await cli(['render', '--check', envFile], env)).code).toBe(0);
  });

  it('exits 1 and says what differs when the file is out of sync (the CI check)', async () => {
    const stale = join(dir, 'stale.env');
    writeFileSync(stale, 'METRICS_WORKSPACE_ALLOWLIST=acme,globex,hooli,Not Valid\n');
    const { code, stderr } = await cli(['render', '--check', stale], env);
    expect(code).toBe(1);
    expect(stderr).toContain('missing from');
    expect(stderr).toContain('(3): initech, team-eng/*, umbrella');
    expect(stderr).toContain('only in');
    expect(stderr).toContain('(1): hooli');
    expect(stderr).toContain('not canonical');
    expect((await cli(['render', '--check', join(dir, 'missing.env')], env)).code).toBe(1);
  });

  it('fails when the allowlist file cannot be read (no last good list in a CLI)', async () => {
    const { code, stderr } = await cli(['render'], { METRICS_WORKSPACE_ALLOWLIST_FILE: join(dir, 'nope.txt') });
    expect(code).toBe(1);
    expect(stderr).toContain('cannot read the allowlist file');
  });

  it('rejects bad usage with exit code 2', async () => {
    expect((await cli(['render', '--format', 'yaml'])).code).toBe(2);
    expect((await cli(['render', '--bogus'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('render');
    expect(help.stdout).toContain('audit');
    expect((await cli(['render', '--help'])).stdout).toContain('--check FILE');
  });

  it('reads a bare list when the file has no variable line', () => {
    expect(allowlistInFile('a,b\n# c\nd\n')).toEqual({ raw: ['a', 'b', 'd'], fromVariable: false });
    expect(allowlistInFile("X=1\nMETRICS_WORKSPACE_ALLOWLIST='a, b'\n")).toEqual({ raw: ['a', 'b'], fromVariable: true });
  });
});

describe('the committed collector allowlist', () => {
  it('otel-collector/demo.env is in sync with the demo policy (src/demo/demo.env)', async () => {
    const root = join(__dirname, '..', '..', '..');
    const demoEnv = readFileSync(join(root, 'src', 'demo', 'demo.env'), 'utf8');
    const allowlist = /^METRICS_WORKSPACE_ALLOWLIST=(.*)$/m.exec(demoEnv)?.[1];
    expect(allowlist).toBeTruthy();
    const result = await cli(['render', '--check', join(root, 'otel-collector', 'demo.env')], { METRICS_WORKSPACE_ALLOWLIST: allowlist! });
    expect(result.stderr + result.stdout).toContain('in sync');
    expect(result.code).toBe(0);
    // And the check can fail: one more workspace in the policy is a drift.
    const drifted = await cli(['render', '--check', join(root, 'otel-collector', 'demo.env')], { METRICS_WORKSPACE_ALLOWLIST: `${allowlist},ws-999` });
    expect(drifted.code).toBe(1);
  });
});

describe('command dispatch', () => {
  it('treats prototype names as unknown commands, not as a crash', async () => {
    for (const name of ['constructor', '__proto__', 'toString']) {
      const result = await cli([name]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('unknown command');
    }
  });
});
