import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DynamicAllowlist, WorkspacePolicy, fileAllowlistSource, splitAllowlistText, staticAllowlistSource, type AllowlistSource } from '../../../src/exports/policy';
import { resetLogWindows } from '../../../src/log';
import { AllowlistSourceError, AllowlistTextReader, readAllowlistFile } from '../../../src/policy/allowlist-sources';
import { waitFor } from '../../helpers/processes';
import { ALLOWLIST_ENTRY_SHAPE } from '../../../src/model/canonical';
import { captureLogs } from '../../helpers/logs';

const logs = captureLogs();
/** Every allowlist a test starts; afterEach stops them, so a failed test leaves no poller behind to log into the next test's window. */
const running: DynamicAllowlist[] = [];
class TrackedAllowlist extends DynamicAllowlist {
  constructor(options: ConstructorParameters<typeof DynamicAllowlist>[0]) {
    super(options);
    running.push(this);
  }
}
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'owm-allowlist-'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((dynamic) => dynamic.stop()));
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
    const dynamic = new TrackedAllowlist({ policy, staticEntries: ['acme'], sources: [a, b] });
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
    const dynamic = new TrackedAllowlist({ policy, sources: [source] });
    await dynamic.start();
    const before = dynamic.lastReloadMillis;
    source.next(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }));
    await dynamic.reload();
    await dynamic.reload();
    await dynamic.reload();
    expect(policy.allowlist).toEqual(['acme', 'globex']);
    expect(dynamic.errorCounts()).toEqual([{ source: 'db', errors: 3 }]);
    expect(dynamic.lastReloadMillis).toBe(before);
    const warnings = logs.filter((line) => line.includes('allowlist source db: reload failed'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('(Error ECONNREFUSED)');
    expect(warnings[0]).toContain('keeping its last good list (2 entries)');
    await dynamic.stop();
  });

  it('treats a non-empty answer with no valid entry as a failure, and skips invalid entries otherwise', async () => {
    const policy = policyWith();
    const source = scripted('db');
    source.next(['acme', 'Not Valid!']);
    const dynamic = new TrackedAllowlist({ policy, sources: [source] });
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
    // A load that honours its abort signal: it ends when the timeout aborts it.
    let aborted: unknown;
    const load = source.load;
    source.load = (context) => {
      if (source.loads > 0) return load(context);
      source.loads++;
      return new Promise<string[]>((_resolve, reject) => context!.signal.addEventListener('abort', () => reject((aborted = context!.signal.reason))));
    };
    const dynamic = new TrackedAllowlist({ policy, sources: [source], loadTimeoutMillis: 100 });
    await dynamic.start();
    expect(dynamic.errorCounts()[0]!.errors).toBe(1);
    expect(logs.some((line) => line.includes('no answer within 100 ms'))).toBe(true);
    expect(String(aborted)).toContain('no answer within 100 ms');
    await new Promise((resolve) => setImmediate(resolve)); // the aborted load settles

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

  it('never starts a second load beside a timed-out one that ignores its abort signal', async () => {
    const policy = policyWith(['kept']);
    const source = scripted('stubborn');
    let release: (list: string[]) => void = () => undefined;
    source.next(new Promise<string[]>((resolve) => (release = resolve)));
    const dynamic = new TrackedAllowlist({ policy, staticEntries: ['kept'], sources: [source], loadTimeoutMillis: 50 });
    await dynamic.start();
    expect(logs.some((line) => line.includes('no answer within 50 ms'))).toBe(true);
    source.next(['next']);
    await dynamic.reload();
    await dynamic.reload();
    expect(source.loads).toBe(1); // still the first, hung load
    expect(dynamic.errorCounts()[0]!.errors).toBe(3);
    expect(policy.allowlist).toEqual(['kept']);
    release(['late']);
    await new Promise((resolve) => setImmediate(resolve));
    await dynamic.reload();
    expect(source.loads).toBe(2);
    expect(policy.allowlist).toEqual(['kept', 'next']);
    await dynamic.stop();
  });

  it('passes the entry cap to the source and logs where an invalid entry is, never what it says', async () => {
    const policy = policyWith();
    let seen: number | undefined;
    const source: AllowlistSource = {
      name: 'placed',
      async load(context) {
        seen = context?.maxEntries;
        return { entries: ['acme', 'DATABASE_URL=postgres://app:SECRET-7@db/x'], where: (index) => `row ${index + 41}` };
      },
    };
    const dynamic = new TrackedAllowlist({ policy, sources: [source], maxEntries: 123 });
    await dynamic.start();
    expect(seen).toBe(123);
    expect(policy.allowlist).toEqual(['acme']);
    expect(logs.filter((line) => line.includes('1 entries skipped, not canonical (first at row 42;'))).toHaveLength(1);
    expect(logs.join('\n')).not.toMatch(/SECRET|DATABASE_URL|postgres:/);
    await dynamic.stop();
  });

  it('logs a failing source by error name and code, never by the text its error carries', async () => {
    const source = scripted('leaky');
    source.next(Object.assign(new Error('invalid input syntax for type uuid: "SECRET-8"'), { code: '22P02' }));
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [source] });
    await dynamic.start();
    expect(logs.some((line) => line.includes('allowlist source leaky: reload failed (Error 22P02)'))).toBe(true);
    expect(logs.join('\n')).not.toContain('SECRET-8');
    await dynamic.stop();
  });

  it('reloads periodically by intervalMillis', async () => {
    const policy = policyWith();
    const source = scripted('tick', 20);
    source.next(['a1']);
    const dynamic = new TrackedAllowlist({ policy, sources: [source] });
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
    const dynamic = new TrackedAllowlist({
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
    const dynamic = new TrackedAllowlist({
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
  it('reads the file at start without blocking (in place when start() resolves), then reloads on change through fs.watch (debounced)', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\n');
    const policy = policyWith();
    const source = fileAllowlistSource(file, { pollMillis: 0, debounceMillis: 50 });
    const dynamic = new TrackedAllowlist({ policy, sources: [source] });
    const started = dynamic.start();
    expect(policy.allowlist).toEqual([]); // nothing read on the caller's turn of the event loop
    await started;
    expect(policy.allowlist).toEqual(['acme']);
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
    const dynamic = new TrackedAllowlist({ policy, sources: [fileAllowlistSource(file, { useWatch: false, pollMillis: 50 })] });
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
    const dynamic = new TrackedAllowlist({
      policy,
      staticEntries: ['static-one'],
      sources: [fileAllowlistSource(file, { useWatch: false, pollMillis: 30 })],
    });
    await dynamic.start();
    expect(policy.allowlist).toEqual(['acme', 'globex', 'static-one']);

    rmSync(file);
    await waitFor(() => (dynamic.errorCounts()[0]!.errors >= 1 ? true : undefined), 5_000, 'error on missing file');
    // Broken garbage (nothing valid), then a directory where the file was: still the last good list.
    // Written aside and renamed over, so the 30 ms stat check never sees the empty file writeFileSync creates first.
    writeFileSync(join(dir, '.garbage.tmp'), '<<<binary junk>>>\n\u0000\u0001\n');
    renameSync(join(dir, '.garbage.tmp'), file);
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
    const dynamic = new TrackedAllowlist({ policy, staticEntries: ['acme'], sources: [fileAllowlistSource(join(dir, 'missing.txt'), { pollMillis: 0 })] });
    await dynamic.start();
    expect(policy.allowlist).toEqual(['acme']);
    expect(dynamic.errorCounts()).toEqual([{ source: 'file', errors: 1 }]);
    expect(logs.some((line) => line.includes('no list from it yet') && line.includes('ENOENT'))).toBe(true);
    await dynamic.stop();
  });

  it('treats a directory at the path (EISDIR) as a failure', async () => {
    const path = join(dir, 'allowlist.d');
    mkdirSync(path);
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [fileAllowlistSource(path, { pollMillis: 0 })] });
    await dynamic.start();
    expect(dynamic.errorCounts()[0]!.errors).toBe(1);
    expect(logs.some((line) => line.includes('EISDIR'))).toBe(true);
    await dynamic.stop();
  });
});

describe('fileAllowlistSource against hostile files', () => {
  const startWith = async (path: string, entries = ['kept']) => {
    const policy = policyWith(entries);
    const dynamic = new TrackedAllowlist({ policy, staticEntries: entries, sources: [fileAllowlistSource(path, { pollMillis: 0, useWatch: false })] });
    const started = performance.now();
    await dynamic.start();
    return { policy, dynamic, ms: performance.now() - started };
  };

  it('a FIFO with no writer: refused at once as not a regular file, and no thread of the pool stays stuck', async () => {
    const fifo = join(dir, 'allowlist.fifo');
    execFileSync('mkfifo', [fifo]);
    const { policy, dynamic, ms } = await startWith(fifo);
    expect(ms).toBeLessThan(1_000);
    expect(policy.allowlist).toEqual(['kept']);
    expect(logs.some((line) => line.includes('a FIFO, not a regular file [ENOTREG]'))).toBe(true);
    // Many reloads, then more fs work than libuv has threads: none of it waits on the FIFO.
    for (let i = 0; i < 8; i++) await dynamic.reload();
    const reads = await Promise.all(Array.from({ length: 16 }, () => readFile(join(dir, '..', basename(dir)), { encoding: 'utf8' }).catch((error: NodeJS.ErrnoException) => error.code)));
    expect(reads.every((r) => r === 'EISDIR')).toBe(true);
    expect(dynamic.errorCounts()[0]!.errors).toBe(9);
    await dynamic.stop();
  });

  it('a device and a symlink to /dev/zero: refused, nothing read', async () => {
    const link = join(dir, 'allowlist.txt');
    symlinkSync('/dev/zero', link);
    for (const path of [link, '/dev/zero', '/dev/null']) {
      logs.length = 0;
      resetLogWindows();
      const heap = process.memoryUsage().rss;
      const { policy, dynamic, ms } = await startWith(path);
      expect(ms, path).toBeLessThan(1_000);
      expect(process.memoryUsage().rss - heap).toBeLessThan(32 * 1024 * 1024);
      expect(policy.allowlist).toEqual(['kept']);
      expect(logs.some((line) => line.includes('a device, not a regular file [ENOTREG]')), path).toBe(true);
      await dynamic.stop();
    }
  });

  it('1,000,000 entries: reading stops past the 10,000-entry cap; the last good list stays', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\nglobex\n');
    const policy = policyWith();
    const dynamic = new TrackedAllowlist({ policy, sources: [fileAllowlistSource(file, { pollMillis: 0, useWatch: false })] });
    await dynamic.start();
    expect(policy.allowlist).toEqual(['acme', 'globex']);
    // 2 MB, under the byte cap: the entry cap stops the read at line 10,001
    writeFileSync(file, Array.from({ length: 1_000_000 }, (_, i) => `${i % 10}`).join('\n'));
    let started = performance.now();
    await dynamic.reload();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(policy.allowlist).toEqual(['acme', 'globex']);
    expect(logs.some((line) => line.includes('more than 10000 entries (stopped reading at line 10001) [ETOOMANY]'))).toBe(true);
    // 7.9 MB of ids: refused by size before a byte is read
    writeFileSync(file, Array.from({ length: 1_000_000 }, (_, i) => `ws-${i}`).join('\n'));
    resetLogWindows();
    started = performance.now();
    await dynamic.reload();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(policy.allowlist).toEqual(['acme', 'globex']);
    expect(logs.some((line) => line.includes('bytes is more than the 4194304 allowed [EFBIG]'))).toBe(true);
    // exactly at the cap: accepted
    writeFileSync(file, Array.from({ length: 10_000 }, (_, i) => `ws-${i}`).join('\n'));
    await dynamic.reload();
    expect(policy.allowlistSize).toBe(10_000);
    await dynamic.stop();
  });

  it('a file larger than 4 MiB in few entries is refused by size', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, `acme\n#${'x'.repeat(4 * 1024 * 1024)}\n`);
    const { policy, dynamic } = await startWith(file);
    expect(policy.allowlist).toEqual(['kept']);
    expect(logs.some((line) => line.includes('is more than the 4194304 allowed [EFBIG]'))).toBe(true);
    await dynamic.stop();
  });

  it('a reload that would empty a non-empty list waits for the file to stay the same: a truncate-then-write is never seen as empty', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\nglobex\n');
    const policy = policyWith();
    const dynamic = new TrackedAllowlist({ policy, sources: [fileAllowlistSource(file, { pollMillis: 0, useWatch: false, stableMillis: 300 })] });
    await dynamic.start();
    let sawEmpty = false;
    const watcher = setInterval(() => (sawEmpty ||= policy.allowlistSize === 0), 5);
    writeFileSync(file, ''); // truncated, about to be rewritten
    const reloading = dynamic.reload();
    await new Promise((resolve) => setTimeout(resolve, 100));
    writeFileSync(file, 'initech\n');
    await reloading;
    expect(policy.allowlist).toEqual(['initech']);
    // a file that really is emptied: empty after it stayed so for 300 ms
    writeFileSync(file, '# nothing\n');
    const started = performance.now();
    await dynamic.reload();
    clearInterval(watcher);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(policy.allowlist).toEqual([]);
    expect(sawEmpty).toBe(false);
    await dynamic.stop();
  });

  it('names the line of an invalid entry, never its content', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, '# comment\nacme\r\nglobex, DATABASE_URL=postgres://app:SECRET-9@db/x\n');
    const { policy, dynamic } = await startWith(file, []);
    expect(policy.allowlist).toEqual(['acme', 'globex']);
    expect(logs.some((line) => line.includes('1 entries skipped, not canonical (first at line 3;'))).toBe(true);
    writeFileSync(file, 'API_KEY=SECRET-9\n');
    await dynamic.reload();
    expect(logs.some((line) => line.includes('none of its 1 entries is valid (first at line 1;'))).toBe(true);
    expect(logs.join('\n')).not.toMatch(/SECRET|DATABASE_URL|API_KEY/);
    await dynamic.stop();
  });
});

describe('AllowlistTextReader', () => {
  it('reads the same entries and line numbers whatever the chunking (CRLF split across chunks, BOM, multi-byte characters)', () => {
    const text = '\uFEFFacme\r\nglobex,  initech # c\r\n\r\nüber-ws\rteam/*\n';
    const reference = new AllowlistTextReader();
    reference.push(text);
    reference.end();
    expect(reference.entries).toEqual(['acme', 'globex', 'initech', 'über-ws', 'team/*']);
    expect(reference.lines).toEqual([1, 2, 2, 4, 5]);
    const bytes = Buffer.from(text, 'utf8');
    for (let size = 1; size <= 7; size++) {
      const reader = new AllowlistTextReader();
      for (let i = 0; i < bytes.length; i += size) reader.push(bytes.subarray(i, i + size));
      reader.end();
      expect(reader.entries, `chunk ${size}`).toEqual(reference.entries);
      expect(reader.lines, `chunk ${size}`).toEqual(reference.lines);
    }
  });
});

describe('DynamicAllowlist edges', () => {
  it('logs a skipped source by a quoted name cut at 40 characters', () => {
    const long = 'X'.repeat(41);
    new TrackedAllowlist({ policy: policyWith(), sources: [staticAllowlistSource(long, ['a']), staticAllowlistSource('y'.repeat(40) + ' ', ['b'])] });
    expect(logs).toEqual([
      `[otel-workspace-metrics] error: allowlist source "${'X'.repeat(40)}…" skipped: a source needs a unique name matching ^[a-z0-9][a-z0-9_.-]{0,63}$ (not "env") and a load() function`,
      `[otel-workspace-metrics] error: allowlist source "${'y'.repeat(40)}…" skipped: a source needs a unique name matching ^[a-z0-9][a-z0-9_.-]{0,63}$ (not "env") and a load() function`,
    ]);
    logs.length = 0;
    new TrackedAllowlist({ policy: policyWith(), sources: [{ name: 'no-load' } as unknown as AllowlistSource, { name: 'z'.repeat(40) + '!', load: async () => [] }] });
    expect(logs.map((line) => line.split(' skipped')[0])).toEqual([
      '[otel-workspace-metrics] error: allowlist source "no-load"',
      `[otel-workspace-metrics] error: allowlist source "${'z'.repeat(40)}…"`,
    ]);
    logs.length = 0;
    // exactly 40 characters is quoted whole; a 64-character name is valid, a 65-character one is not
    new TrackedAllowlist({ policy: policyWith(), sources: [staticAllowlistSource('Q'.repeat(40), ['a']), staticAllowlistSource('a'.repeat(64), ['a']), staticAllowlistSource('b'.repeat(65), ['b'])] });
    expect(logs.map((line) => line.split(' skipped')[0])).toEqual([
      `[otel-workspace-metrics] error: allowlist source "${'Q'.repeat(40)}"`,
      `[otel-workspace-metrics] error: allowlist source "${'b'.repeat(40)}…"`,
    ]);
  });

  it('names errors safely: its own messages with their code, else only the name and a well-formed code', async () => {
    const errors: unknown[] = [
      new AllowlistSourceError('custom text'),
      new AllowlistSourceError('custom text', 'ECODE'),
      'a thrown string with SECRET',
      Object.assign(new TypeError('SECRET'), { code: 'bad code!' }),
      Object.assign(new RangeError('SECRET'), { code: 'A'.repeat(32) }),
      Object.assign(new RangeError('SECRET'), { code: 'A'.repeat(33) }),
      Object.assign(new Error('SECRET'), { code: 42 }),
      undefined,
    ];
    const seen: string[] = [];
    for (const error of errors) {
      logs.length = 0;
      resetLogWindows();
      const source = scripted('s');
      source.next(error as Error);
      source.load = async () => {
        throw error;
      };
      const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [source] });
      await dynamic.start();
      seen.push(logs.join('\n').replace(/^.*reload failed \((.*)\); no list from it yet$/, '$1'));
    }
    expect(seen).toEqual(['custom text', 'custom text [ECODE]', 'string', 'TypeError', `RangeError ${'A'.repeat(32)}`, 'RangeError', 'Error', 'undefined']);
  });

  it('names the place of an invalid entry from where(), or by its index when where() throws or says something unprintable or long', async () => {
    const wheres: Array<[((index: number) => string) | undefined, string]> = [
      [(index) => `row ${index}`, 'row 1'],
      [() => 'p'.repeat(40), 'p'.repeat(40)],
      [() => 'p'.repeat(41), 'entry #2'],
      [() => '', 'entry #2'],
      [() => 'line\n2', 'entry #2'],
      [() => {
        throw new Error('SECRET');
      }, 'entry #2'],
      [undefined, 'entry #2'],
    ];
    const seen: string[] = [];
    for (const [where, _expected] of wheres) {
      logs.length = 0;
      resetLogWindows();
      const source: AllowlistSource = {
        name: 'placed',
        load: async () => (where === undefined ? { entries: ['acme', 'Not Valid'] } as unknown as string[] : { entries: ['acme', 'Not Valid'], where }),
      };
      const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [source] });
      await dynamic.start();
      seen.push(logs.join('\n').replace(/^.*\(first at (.*); expected .*$/s, '$1'));
    }
    expect(seen).toEqual(wheres.map(([, expected]) => expected));
    // a plain array: places by index too
    logs.length = 0;
    resetLogWindows();
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [staticAllowlistSource('plain', ['acme', 'b', 'Not Valid'])] });
    await dynamic.start();
    expect(logs).toEqual([
      `[otel-workspace-metrics] warn: allowlist source plain: 1 entries skipped, not canonical (first at entry #3; expected ${ALLOWLIST_ENTRY_SHAPE})`,
      '[otel-workspace-metrics] info: workspace allowlist reloaded: 2 entries (+2 -0)',
    ]);
  });

  it('counts a source whose load throws synchronously, returns no array, or whose loadSync or watch throws', async () => {
    const policy = policyWith();
    const sources: AllowlistSource[] = [
      {
        name: 'sync-throw',
        load: () => {
          throw new AllowlistSourceError('sync', 'ESYNC');
        },
      },
      { name: 'no-array', load: async () => ({ entries: 'acme' }) as unknown as string[] },
      { name: 'undefined', load: async () => undefined as unknown as string[] },
      {
        name: 'load-sync',
        load: async () => ['late'],
        loadSync: () => {
          throw new AllowlistSourceError('first', 'EFIRST');
        },
      },
      {
        name: 'watcher',
        load: async () => ['watched'],
        watch: () => {
          throw new AllowlistSourceError('no watch', 'EWATCH');
        },
      },
    ];
    const dynamic = new TrackedAllowlist({ policy, sources });
    await dynamic.start();
    expect(dynamic.errorCounts()).toEqual([
      { source: 'sync-throw', errors: 1 },
      { source: 'no-array', errors: 1 },
      { source: 'undefined', errors: 1 },
      { source: 'load-sync', errors: 1 },
      { source: 'watcher', errors: 1 },
    ]);
    // loadSync is the only first load of a source that has one; watch failing does not stop its load
    expect(policy.allowlist).toEqual(['watched']);
    const failures = logs.filter((line) => line.includes('reload failed')).map((line) => line.replace(/^.*allowlist source /, ''));
    expect(failures).toEqual([
      'load-sync: reload failed (first [EFIRST]); no list from it yet',
      'watcher: reload failed (no watch [EWATCH]); no list from it yet',
      'sync-throw: reload failed (sync [ESYNC]); no list from it yet',
      'no-array: reload failed (load() did not return an array); no list from it yet',
      'undefined: reload failed (load() did not return an array); no list from it yet',
    ]);
    await dynamic.reload('load-sync');
    expect(policy.allowlist).toEqual(['late', 'watched']);
  });

  it('reads numbers that are safe integers as ids; other values are invalid', async () => {
    const policy = policyWith();
    const source: AllowlistSource = { name: 'typed', load: async () => [42, 1.5, 2 ** 53, null, 'acme'] as unknown as string[] };
    const dynamic = new TrackedAllowlist({ policy, sources: [source] });
    await dynamic.start();
    expect(policy.allowlist).toEqual(['42', 'acme']);
    expect(logs.some((line) => line.includes('allowlist source typed: 3 entries skipped, not canonical (first at entry #2;'))).toBe(true);
  });

  it('logs a reload only once started and only when the list changed; stop() is final, closes every source once and survives a failing close', async () => {
    const policy = policyWith();
    const source = scripted('db');
    source.next(['acme']);
    let closes = 0;
    const closing: AllowlistSource = {
      name: 'closing',
      load: async () => ['globex'],
      close: () => {
        closes++;
        throw new Error('close broke');
      },
    };
    let unwatched = 0;
    const watched: AllowlistSource = {
      name: 'watched',
      load: async () => [],
      watch: () => () => {
        unwatched++;
        throw new Error('unwatch broke');
      },
    };
    const dynamic = new TrackedAllowlist({ policy, sources: [source, closing, watched] });
    await dynamic.reload(); // before start: applied, not logged
    expect(policy.allowlist).toEqual(['acme', 'globex']);
    expect(logs).toEqual([]);
    await dynamic.start();
    expect(logs).toEqual([]); // same list: nothing to say
    source.next(['initech']);
    await dynamic.reload('db');
    expect(logs).toEqual(['[otel-workspace-metrics] info: workspace allowlist reloaded: 2 entries (+1 -1)']);
    await dynamic.stop();
    await dynamic.stop();
    expect(closes).toBe(1);
    expect(unwatched).toBe(1);
    expect(logs.slice(1)).toEqual(['[otel-workspace-metrics] warn: allowlist source closing: close failed (close broke)']);
    const loads = source.loads;
    source.next(['umbrella']);
    await dynamic.reload();
    expect(source.loads).toBe(loads);
    expect(policy.allowlist).toEqual(['globex', 'initech']);
  });

  it('ignores what a load in flight returns once stopped', async () => {
    const policy = policyWith();
    const source = scripted('late');
    let release: (list: string[]) => void = () => undefined;
    source.next(new Promise<string[]>((resolve) => (release = resolve)));
    const dynamic = new TrackedAllowlist({ policy, sources: [source] });
    const started = dynamic.start();
    await dynamic.stop();
    release(['acme']);
    await started;
    expect(policy.allowlist).toEqual([]);
    const failing = scripted('failing');
    let reject: (error: Error) => void = () => undefined;
    failing.load = () => new Promise<string[]>((_resolve, fail) => (reject = fail));
    const other = new TrackedAllowlist({ policy, sources: [failing] });
    const second = other.start();
    await other.stop();
    reject(new Error('late failure'));
    await second;
    expect(other.errorCounts()).toEqual([{ source: 'failing', errors: 0 }]);
  });

  it('start() twice returns the same first loads', async () => {
    const source = scripted('once');
    source.next(['acme']);
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [source] });
    const first = dynamic.start();
    expect(dynamic.start()).toBe(first);
    await first;
    expect(source.loads).toBe(1);
  });

  it('passes the load timeout to the source', async () => {
    let context: { maxEntries: number; timeoutMillis: number; aborted: boolean } | undefined;
    const source: AllowlistSource = {
      name: 'ctx',
      load: async (ctx) => {
        context = { maxEntries: ctx!.maxEntries, timeoutMillis: ctx!.timeoutMillis, aborted: ctx!.signal.aborted };
        return [];
      },
    };
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [source] });
    await dynamic.start();
    expect(context).toEqual({ maxEntries: 10_000, timeoutMillis: 30_000, aborted: false });
  });
});

describe('fileAllowlistSource edges', () => {
  it('warns once and relies on the stat check when the directory cannot be watched', async () => {
    const file = join(dir, 'missing-dir', 'allowlist.txt');
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [fileAllowlistSource(file, { pollMillis: 40 })] });
    await dynamic.start();
    expect(logs.filter((line) => line.includes('fs.watch'))).toEqual([
      `[otel-workspace-metrics] warn: allowlist file ${file}: fs.watch unavailable (Error ENOENT); relying on the 40 ms stat check`,
    ]);
    mkdirSync(join(dir, 'missing-dir'));
    writeFileSync(file, 'acme\n');
    await waitFor(() => (dynamic.entries.includes('acme') ? true : undefined), 5_000, 'stat-check reload of a file that appeared');
    expect(dynamic.errorCounts()).toEqual([{ source: 'file', errors: 1 }]);
  });

  it('sees a ..data symlink swap in the watched directory (a Kubernetes ConfigMap)', async () => {
    // ConfigMap layout: allowlist.txt -> ..data/allowlist.txt, ..data -> ..v1; an update swaps ..data to ..v2.
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'allowlist.txt'), 'acme\n');
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'allowlist.txt'), join(dir, 'allowlist.txt'));
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [fileAllowlistSource(join(dir, 'allowlist.txt'), { pollMillis: 0, debounceMillis: 20, name: 'configmap' })] });
    await dynamic.start();
    expect(dynamic.entries).toEqual(['acme']);
    expect(dynamic.sourceNames).toEqual(['configmap']);
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'allowlist.txt'), 'globex\n');
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await waitFor(() => (dynamic.entries.join() === 'globex' ? true : undefined), 5_000, 'reload after the ..data swap');
  });

  it('does not reload for other files of the directory', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\n');
    let loads = 0;
    const inner = fileAllowlistSource(file, { pollMillis: 0, debounceMillis: 20 });
    const counted: AllowlistSource = { ...inner, name: 'file', load: (ctx) => (loads++, inner.load(ctx)) };
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [counted] });
    await dynamic.start();
    expect(loads).toBe(1);
    writeFileSync(join(dir, 'other.txt'), 'x\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(loads).toBe(1);
    writeFileSync(file, 'acme\nglobex\n');
    await waitFor(() => (dynamic.entries.length === 2 ? true : undefined), 5_000, 'reload on the file itself');
    // several events in quick succession: one reload (debounced)
    for (let i = 0; i < 5; i++) writeFileSync(file, `acme\nglobex\nw${i}\n`);
    await waitFor(() => (dynamic.entries.includes('w4') ? true : undefined), 5_000, 'debounced reload');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(loads).toBe(3);
  });
});

describe('readAllowlistFile', () => {
  it('refuses before opening when the signal already aborted', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\n');
    const reason = new Error('stop now');
    await expect(readAllowlistFile(file, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(readAllowlistFile(file)).resolves.toMatchObject({ entries: ['acme'], lines: [1] });
  });

  it('refuses a file over maxBytes by its size, and accepts one exactly at it', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\nglobex\n'); // 12 bytes
    await expect(readAllowlistFile(file, { maxBytes: 11 })).rejects.toMatchObject({ message: '12 bytes is more than the 11 allowed', code: 'EFBIG' });
    const content = await readAllowlistFile(file, { maxBytes: 12 });
    expect(content.entries).toEqual(['acme', 'globex']);
    expect(content.lines).toEqual([1, 2]);
  });

  it('stops reading a file that turns out longer than its stat said (a /proc file reports size 0)', async () => {
    await expect(readAllowlistFile('/proc/self/status', { maxBytes: 10 })).rejects.toMatchObject({ message: 'more than the 10 bytes allowed', code: 'EFBIG' });
  });

  it('reads past the first 64 KiB chunk, and stops at maxEntries', async () => {
    const file = join(dir, 'allowlist.txt');
    const ids = Array.from({ length: 20_000 }, (_, i) => `workspace-${i}`); // about 270 KB
    writeFileSync(file, ids.join('\n'));
    const content = await readAllowlistFile(file);
    expect(content.entries).toEqual(ids);
    expect(content.lines.at(-1)).toBe(20_000);
    await expect(readAllowlistFile(file, { maxEntries: 19_999 })).rejects.toMatchObject({ message: 'more than 19999 entries (stopped reading at line 20000)', code: 'ETOOMANY' });
  });

  it('signs the file it read by inode, size, mtime and ctime', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\n');
    const s = statSync(file);
    expect((await readAllowlistFile(file)).signature).toBe(`${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`);
  });
});

describe('AllowlistTextReader at its edges', () => {
  it('keeps a CR that ends a chunk for the next one, and ends a line with a final CR', () => {
    const reader = new AllowlistTextReader();
    reader.push('acme\r');
    expect(reader.entries).toEqual([]); // the CR may be half of a CRLF: the line waits
    reader.push('\nglobex\r');
    expect(reader.entries).toEqual(['acme']);
    reader.end();
    expect(reader.entries).toEqual(['acme', 'globex']);
    expect(reader.lines).toEqual([1, 2]);
  });

  it('accepts exactly maxEntries entries and names the line of the one past them', () => {
    const reader = new AllowlistTextReader(3);
    reader.push('a,b\nc\n# d\n');
    expect(reader.entries).toEqual(['a', 'b', 'c']);
    expect(() => reader.push('\ne,f\n')).toThrow(new AllowlistSourceError('more than 3 entries (stopped reading at line 5)', 'ETOOMANY'));
  });
});

describe('DynamicAllowlist applies only changes', () => {
  it('says nothing when the union equals the policy’s list, even with a source that has no list yet', async () => {
    const policy = policyWith(['acme']);
    const failing = scripted('down');
    failing.next(new Error('down'));
    const dynamic = new TrackedAllowlist({ policy, staticEntries: ['acme'], sources: [failing] });
    const before = policy.lastChangeMillis;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await dynamic.start();
    expect(logs.filter((line) => line.includes('reloaded'))).toEqual([]);
    expect(policy.lastChangeMillis).toBe(before);
  });

  it('compares the sorted lists entry by entry: another order is no change, entries joined differently are', async () => {
    const policy = policyWith();
    const source = scripted('order');
    source.next(['b', 'a']);
    const dynamic = new TrackedAllowlist({ policy, sources: [source] });
    await dynamic.start();
    source.next(['a', 'b']);
    await dynamic.reload();
    source.next(['b', 'a']);
    await dynamic.reload();
    expect(logs.filter((line) => line.includes('reloaded'))).toEqual(['[otel-workspace-metrics] info: workspace allowlist reloaded: 2 entries (+2 -0)']);
    source.next(['ab', 'c']);
    await dynamic.reload();
    source.next(['a', 'bc']);
    await dynamic.reload();
    expect(policy.allowlist).toEqual(['a', 'bc']);
  });

  it('warns about the cap only past it', async () => {
    const policy = policyWith();
    const dynamic = new TrackedAllowlist({ policy, staticEntries: ['s1', 's2'], sources: [staticAllowlistSource('five', ['w0', 'w1', 'w2'])], maxEntries: 5 });
    await dynamic.start();
    expect(policy.allowlistSize).toBe(5);
    expect(logs.filter((line) => line.includes('allowed'))).toEqual([]);
  });

  it('reloads only the named source, and does not load at start a source that has loadSync', async () => {
    const a = scripted('a');
    const b = scripted('b');
    let asyncLoads = 0;
    const synced: AllowlistSource = { name: 'synced', loadSync: () => ['s'], load: async () => (asyncLoads++, ['s']) };
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [a, b, synced] });
    await dynamic.start();
    expect([a.loads, b.loads, asyncLoads]).toEqual([1, 1, 0]);
    await dynamic.reload('b');
    expect([a.loads, b.loads, asyncLoads]).toEqual([1, 2, 0]);
    await dynamic.reload();
    expect([a.loads, b.loads, asyncLoads]).toEqual([2, 3, 1]);
  });

  it('does not reload sooner than intervalMillis', async () => {
    const source = scripted('slow-tick', 400);
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [source] });
    await dynamic.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(source.loads).toBe(1);
  });

  it('rate-limits warnings per source: two failing sources, two lines; two sources with invalid entries, two lines', async () => {
    const x = scripted('x');
    const y = scripted('y');
    x.next(new Error('x down'));
    y.next(new Error('y down'));
    const bad: AllowlistSource[] = [staticAllowlistSource('p', ['a', 'Not Valid']), staticAllowlistSource('q', ['b', 'Not Valid'])];
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [x, y, ...bad] });
    await dynamic.start();
    expect(logs.filter((line) => line.includes('reload failed')).length).toBe(2);
    expect(logs.filter((line) => line.includes('entries skipped')).length).toBe(2);
  });

  it('skips a missing source and a non-string name', () => {
    new TrackedAllowlist({ policy: policyWith(), sources: [null as unknown as AllowlistSource, { name: 42, load: async () => [] } as unknown as AllowlistSource] });
    expect(logs.map((line) => line.split(' skipped')[0])).toEqual(['[otel-workspace-metrics] error: allowlist source "undefined"', '[otel-workspace-metrics] error: allowlist source "42"']);
  });

  it('says why it did not start a second load beside a hung one, and names a timeout by its code', async () => {
    const source = scripted('stuck');
    source.next(new Promise<string[]>(() => undefined));
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [source], loadTimeoutMillis: 30 });
    await dynamic.start();
    expect(logs).toEqual(['[otel-workspace-metrics] warn: allowlist source stuck: reload failed (no answer within 30 ms [ETIMEDOUT]); no list from it yet']);
    resetLogWindows();
    await dynamic.reload();
    expect(logs[1]).toBe(
      '[otel-workspace-metrics] warn: allowlist source stuck: reload failed (its previous load, timed out, has not finished yet; not starting another [EBUSY]); no list from it yet',
    );
  });
});

describe('fileAllowlistSource timing and its watch', () => {
  it('reads an empty file at start at once (no list to keep yet)', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, '# nothing yet\n');
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [fileAllowlistSource(file, { pollMillis: 0, useWatch: false, stableMillis: 3_000 })] });
    const started = performance.now();
    await dynamic.start();
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(dynamic.errorCounts()).toEqual([{ source: 'file', errors: 0 }]);
  });

  it('waits again while an emptied file keeps changing, and takes what it settles on', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\n');
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [fileAllowlistSource(file, { pollMillis: 0, useWatch: false, stableMillis: 1_000 })] });
    await dynamic.start();
    writeFileSync(file, '');
    const reloading = dynamic.reload();
    await new Promise((resolve) => setTimeout(resolve, 200));
    writeFileSync(file, '# still empty, but changed\n');
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    writeFileSync(file, 'initech\n');
    await reloading;
    expect(dynamic.entries).toEqual(['initech']);
  });

  it('the load timeout cancels the wait for an emptied file to settle', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\n');
    const dynamic = new TrackedAllowlist({ policy: policyWith(), loadTimeoutMillis: 200, sources: [fileAllowlistSource(file, { pollMillis: 0, useWatch: false, stableMillis: 60_000 })] });
    await dynamic.start();
    writeFileSync(file, '');
    await dynamic.reload();
    expect(logs.some((line) => line.includes('no answer within 200 ms [ETIMEDOUT]'))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the cancelled wait settles
    writeFileSync(file, 'globex\n');
    await dynamic.reload();
    expect(dynamic.entries).toEqual(['globex']);
  });

  it('debounces by debounceMillis: nothing is read before it has passed', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\n');
    const source = fileAllowlistSource(file, { pollMillis: 0, debounceMillis: 3_000 });
    let changes = 0;
    const stop = source.watch!(() => changes++);
    writeFileSync(file, 'acme\nglobex\n');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(changes).toBe(0);
    stop();
  });

  it('with pollMillis 0 and no fs.watch, nothing is noticed', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\n');
    const dynamic = new TrackedAllowlist({ policy: policyWith(), sources: [fileAllowlistSource(file, { pollMillis: 0, useWatch: false })] });
    await dynamic.start();
    writeFileSync(file, 'acme\nglobex\n');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(dynamic.entries).toEqual(['acme']);
  });

  it('the function watch returns stops the debounce timer and the stat check', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\n');
    const source = fileAllowlistSource(file, { pollMillis: 20, debounceMillis: 100 });
    await source.load(); // the stat check compares with what was loaded
    let changes = 0;
    const stop = source.watch!(() => changes++);
    writeFileSync(file, 'acme\nglobex\n');
    await new Promise((resolve) => setTimeout(resolve, 10));
    stop();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(changes).toBe(0);
  });

  it('retries a file refused for its content only once it changes', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'a\nb\nc\n');
    const dynamic = new TrackedAllowlist({ policy: policyWith(), maxEntries: 2, sources: [fileAllowlistSource(file, { pollMillis: 20, useWatch: false })] });
    await dynamic.start();
    expect(dynamic.errorCounts()).toEqual([{ source: 'file', errors: 1 }]);
    await new Promise((resolve) => setTimeout(resolve, 200)); // many stat periods: not retried
    expect(dynamic.errorCounts()).toEqual([{ source: 'file', errors: 1 }]);
    writeFileSync(file, 'a\nb\n');
    await waitFor(() => (dynamic.entries.length === 2 ? true : undefined), 5_000, 'reload once fixed');
  });
});

describe('readAllowlistFile closes what it opens', () => {
  it('leaves no descriptor open, read or refused', async () => {
    const file = join(dir, 'allowlist.txt');
    writeFileSync(file, 'acme\nglobex\n');
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 20; i++) {
      await readAllowlistFile(file);
      await readAllowlistFile(file, { maxBytes: 4 }).catch(() => undefined);
      await readAllowlistFile(file, { maxEntries: 1 }).catch(() => undefined);
    }
    expect(open()).toBeLessThanOrEqual(before);
  });

  it('names its errors AllowlistSourceError, and a directory as such', async () => {
    await expect(readAllowlistFile(dir)).rejects.toMatchObject({ name: 'AllowlistSourceError', message: 'a directory, not a regular file', code: 'EISDIR' });
  });
});
