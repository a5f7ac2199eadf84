import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamicAllowlist, WorkspacePolicy, fileAllowlistSource, splitAllowlistText, staticAllowlistSource, type AllowlistSource } from '../../../src/exports/policy';
import { resetLogWindows, setLogSink } from '../../../src/log';
import { waitFor } from '../../helpers/processes';

let logs: string[] = [];
let restoreSink: ((line: string) => void) | undefined;
let dir: string;

beforeEach(() => {
  logs = [];
  resetLogWindows();
  restoreSink = setLogSink((line) => logs.push(line));
  dir = mkdtempSync(join(tmpdir(), 'owm-allowlist-'));
});

afterEach(() => {
  if (restoreSink) setLogSink(restoreSink);
  rmSync(dir, { recursive: true, force: true });
});

const policyWith = (allowlist: string[] = []): WorkspacePolicy => new WorkspacePolicy({ labelName: 'workspace_id', allowlist });

/** A source whose next answers the test controls. */
function scripted(name: string, intervalMillis?: number): AllowlistSource & { next: (answer: string[] | Error | Promise<string[]>) => void; loads: number } {
  let answer: string[] | Error | Promise<string[]> = [];
  const source = {
    name,
    intervalMillis,
    loads: 0,
    next(value: string[] | Error | Promise<string[]>) {
      answer = value;
    },
    async load() {
      source.loads++;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return source;
}

describe('splitAllowlistText', () => {
  it('reads one id per line or comma-separated, with # comments and blank lines', () => {
    const text = '\uFEFF# workspaces with their own series\nacme\r\nglobex, initech  # trailing comment\n\n  ,umbrella,\n#ignored,too\nteam/*\n';
    expect(splitAllowlistText(text)).toEqual(['acme', 'globex', 'initech', 'umbrella', 'team/*']);
  });
});

describe('DynamicAllowlist', () => {
  it('applies the union of static entries and every source, canonicalized', async () => {
    const policy = policyWith(['acme']);
    const a = scripted('a');
    a.next(['Globex', 'acme']);
    const b = staticAllowlistSource('b', ['ops/*', 'initech']);
    const dynamic = new DynamicAllowlist({ policy, staticEntries: ['acme'], sources: [a, b] });
    await dynamic.start();
    expect(policy.allowlist).toEqual(['acme', 'globex', 'initech', 'ops/*']);
    expect(dynamic.sourceNames).toEqual(['a', 'b']);
    a.next(['umbrella']);
    await dynamic.reload('a');
    expect(policy.allowlist).toEqual(['acme', 'initech', 'ops/*', 'umbrella']);
    expect(logs.some((line) => line.includes('workspace allowlist reloaded: 4 entries (+1 -1)'))).toBe(true);
    await dynamic.stop();
  });

  it('keeps the last good list of a failing source, logs once per window and counts every failure', async () => {
    const policy = policyWith();
    const source = scripted('db');
    source.next(['acme', 'globex']);
    const dynamic = new DynamicAllowlist({ policy, sources: [source] });
    await dynamic.start();
    const before = dynamic.lastReloadMillis;
    source.next(new Error('connection refused'));
    await dynamic.reload();
    await dynamic.reload();
    await dynamic.reload();
    expect(policy.allowlist).toEqual(['acme', 'globex']);
    expect(dynamic.errorCounts()).toEqual([{ source: 'db', errors: 3 }]);
    expect(dynamic.lastReloadMillis).toBe(before);
    const warnings = logs.filter((line) => line.includes('allowlist source db: reload failed'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('connection refused');
    expect(warnings[0]).toContain('keeping its last good list (2 entries)');
    await dynamic.stop();
  });

  it('treats a non-empty answer with no valid entry as a failure, and skips invalid entries otherwise', async () => {
    const policy = policyWith();
    const source = scripted('db');
    source.next(['acme', 'Not Valid!']);
    const dynamic = new DynamicAllowlist({ policy, sources: [source] });
    await dynamic.start();
    expect(policy.allowlist).toEqual(['acme']);
    expect(logs.some((line) => line.includes('1 entries skipped, not canonical'))).toBe(true);
    source.next(['{"json": "by mistake"}', '<html>']);
    await dynamic.reload();
    expect(policy.allowlist).toEqual(['acme']);
    expect(dynamic.errorCounts()[0]!.errors).toBe(1);
    source.next([]); // an empty answer is a valid, empty list
    await dynamic.reload();
    expect(policy.allowlist).toEqual([]);
    await dynamic.stop();
  });

  it('fails a load that hangs, and runs one load at a time per source', async () => {
    const policy = policyWith();
    const source = scripted('slow');
    source.next(new Promise<string[]>(() => undefined));
    const dynamic = new DynamicAllowlist({ policy, sources: [source], loadTimeoutMillis: 100 });
    await dynamic.start();
    expect(dynamic.errorCounts()[0]!.errors).toBe(1);
    expect(logs.some((line) => line.includes('no answer within 100 ms'))).toBe(true);

    let release: (list: string[]) => void = () => undefined;
    source.next(new Promise<string[]>((resolve) => (release = resolve)));
    const first = dynamic.reload();
    const second = dynamic.reload();
    const third = dynamic.reload();
    expect(source.loads).toBe(2);
    source.next(['after']);
    release(['during']);
    await Promise.all([first, second, third]);
    // The reloads requested while one ran collapse into one more load.
    expect(source.loads).toBe(3);
    expect(policy.allowlist).toEqual(['after']);
    await dynamic.stop();
  });

  it('reloads periodically by intervalMillis', async () => {
    const policy = policyWith();
    const source = scripted('tick', 20);
    source.next(['a1']);
    const dynamic = new DynamicAllowlist({ policy, sources: [source] });
    await dynamic.start();
    source.next(['b2']);
    await waitFor(() => policy.allowlist.includes('b2') || undefined, 5_000, 'periodic reload');
    await dynamic.stop();
    const loads = source.loads;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(source.loads).toBe(loads);
  });

  it('skips sources without a valid, unique name', async () => {
    const policy = policyWith();
    const dynamic = new DynamicAllowlist({
      policy,
      sources: [staticAllowlistSource('ok', ['a']), staticAllowlistSource('ok', ['b']), staticAllowlistSource('Bad Name', ['c']), staticAllowlistSource('env', ['d'])],
    });
    await dynamic.start();
    expect(dynamic.sourceNames).toEqual(['ok']);
    expect(policy.allowlist).toEqual(['a']);
    expect(logs.filter((line) => line.includes('skipped: a source needs a unique name'))).toHaveLength(3);
  });

  it('caps the effective list', async () => {
    const policy = policyWith();
    const dynamic = new DynamicAllowlist({
      policy,
      staticEntries: ['s1', 's2'],
      sources: [staticAllowlistSource('big', Array.from({ length: 10 }, (_, i) => `w${i}`))],
      maxEntries: 5,
    });
    await dynamic.start();
    expect(policy.allowlist).toEqual(['s1', 's2', 'w0', 'w1', 'w2']);
    expect(logs.some((line) => line.includes('more than the 5 allowed'))).toBe(true);
  });
});

describe('fileAllowlistSource', () => {
  it('reads the file synchronously at start, then reloads on change through fs.watch (debounced)', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\n');
    const policy = policyWith();
    const source = fileAllowlistSource(file, { pollMillis: 0, debounceMillis: 50 });
    const dynamic = new DynamicAllowlist({ policy, sources: [source] });
    void dynamic.start();
    expect(policy.allowlist).toEqual(['acme']); // before any await
    writeFileSync(file, 'acme\nglobex\n');
    await waitFor(() => policy.allowlist.includes('globex') || undefined, 5_000, 'fs.watch reload');
    // Atomic replace (write a temp file, rename over): a new inode, still seen.
    writeFileSync(join(dir, '.allowlist.tmp'), 'initech\n');
    renameSync(join(dir, '.allowlist.tmp'), file);
    await waitFor(() => (policy.allowlist.join() === 'initech' ? true : undefined), 5_000, 'reload after rename');
    await dynamic.stop();
  });

  it('falls back to the periodic stat check when fs.watch is not used', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\n');
    const policy = policyWith();
    const dynamic = new DynamicAllowlist({ policy, sources: [fileAllowlistSource(file, { useWatch: false, pollMillis: 50 })] });
    await dynamic.start();
    writeFileSync(file, 'acme,globex,umbrella\n');
    await waitFor(() => (policy.allowlistSize === 3 ? true : undefined), 5_000, 'stat-check reload');
    expect(policy.allowlist).toEqual(['acme', 'globex', 'umbrella']);
    await dynamic.stop();
  });

  it('keeps the last good list when the file breaks or disappears, logs once, and recovers', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\nglobex\n');
    const policy = policyWith(['static-one']);
    const dynamic = new DynamicAllowlist({
      policy,
      staticEntries: ['static-one'],
      sources: [fileAllowlistSource(file, { useWatch: false, pollMillis: 30 })],
    });
    await dynamic.start();
    expect(policy.allowlist).toEqual(['acme', 'globex', 'static-one']);

    rmSync(file);
    await waitFor(() => (dynamic.errorCounts()[0]!.errors >= 1 ? true : undefined), 5_000, 'error on missing file');
    // Broken garbage (nothing valid), then a directory where the file was: still the last good list.
    writeFileSync(file, '<<<binary junk>>>\n\u0000\u0001\n');
    await waitFor(() => (dynamic.errorCounts()[0]!.errors >= 2 ? true : undefined), 5_000, 'error on garbage');
    await new Promise((resolve) => setTimeout(resolve, 200)); // several stat periods: an unchanged broken file is not retried
    expect(dynamic.errorCounts()[0]!.errors).toBe(2);
    expect(policy.allowlist).toEqual(['acme', 'globex', 'static-one']);
    expect(logs.filter((line) => line.includes('allowlist source file: reload failed'))).toHaveLength(1);

    writeFileSync(file, 'umbrella\n');
    await waitFor(() => (policy.allowlist.includes('umbrella') ? true : undefined), 5_000, 'recovery');
    expect(policy.allowlist).toEqual(['static-one', 'umbrella']);
    await dynamic.stop();
  });

  it('reports an unreadable file at start and keeps the static list', async () => {
    const policy = policyWith(['acme']);
    const dynamic = new DynamicAllowlist({ policy, staticEntries: ['acme'], sources: [fileAllowlistSource(join(dir, 'missing.txt'), { pollMillis: 0 })] });
    await dynamic.start();
    expect(policy.allowlist).toEqual(['acme']);
    expect(dynamic.errorCounts()).toEqual([{ source: 'file', errors: 1 }]);
    expect(logs.some((line) => line.includes('no list from it yet') && line.includes('ENOENT'))).toBe(true);
    await dynamic.stop();
  });

  it('treats a directory at the path (EISDIR) as a failure', async () => {
    const path = join(dir, 'allowlist.d');
    mkdirSync(path);
    const dynamic = new DynamicAllowlist({ policy: policyWith(), sources: [fileAllowlistSource(path, { pollMillis: 0 })] });
    await dynamic.start();
    expect(dynamic.errorCounts()[0]!.errors).toBe(1);
    expect(logs.some((line) => line.includes('EISDIR'))).toBe(true);
    await dynamic.stop();
  });
});
