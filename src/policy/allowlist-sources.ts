/**
 * Where the workspace allowlist comes from, and how it changes without a
 * restart. The effective allowlist is the union of:
 *   - the static entries (METRICS_WORKSPACE_ALLOWLIST),
 *   - the last good list of every source: a file (METRICS_WORKSPACE_ALLOWLIST_FILE,
 *     re-read on change) and any pluggable source (e.g. a database query).
 * A source that fails (unreadable file, failed query, timeout, nothing valid)
 * keeps its last good list; the failure is logged once per minute per source
 * and counted (`otel_workspace_metrics_allowlist_reload_errors_total{source}`).
 * Swapping uses WorkspacePolicy.setAllowlist, which is atomic.
 */
import { constants as fsConstants, watch as fsWatch, type FSWatcher, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as delay } from 'node:timers/promises';
import { ALLOWLIST_ENTRY_SHAPE, canonicalAllowlistEntry } from '../model/canonical';
import type { WorkspacePolicy } from './workspace-policy';
import { logError, logInfo, warnRateLimited } from '../log';

/**
 * A pluggable allowlist source. Implement `load`; the kit calls it at start,
 * every `intervalMillis` (when set) and whenever `watch` reports a change.
 * Returned strings are raw workspace ids or allowlist entries (`acme`,
 * `team/ws`, `team/*`); the kit canonicalizes them and skips (and logs) the
 * ones that are not valid.
 */
export interface AllowlistSource {
  /** Names the source in log lines and in the `source` label: [a-z0-9][a-z0-9_.-]{0,63}, unique per kit. */
  readonly name: string;
  /**
   * The current entries. Reject (or return nothing valid from a non-empty list) to keep the last good list.
   * `context.signal` aborts when the load timeout passes: stop work and release resources then (the kit
   * starts no other load of this source before this one settles). A source may stop reading past
   * `context.maxEntries` and reject: a list that long is refused anyway.
   */
  load(context?: LoadContext): Promise<readonly string[] | LoadedEntries>;
  /** Optional synchronous first load, so the list is in place before the first recording (the file source has one). */
  loadSync?(): readonly string[];
  /** Reload period in milliseconds; absent or 0: only at start, on `watch` and on `reload()`. */
  readonly intervalMillis?: number;
  /** Optional change notifications: call `onChange` when the source may have changed; returns a function that stops watching. */
  watch?(onChange: () => void): () => void;
  /** Release connections and watchers; called by `stop()`. */
  close?(): Promise<void> | void;
}

export interface LoadContext {
  signal: AbortSignal;
  maxEntries: number;
  /** The load timeout: `signal` aborts this long after the load started (server-side timeouts need not be longer). */
  timeoutMillis: number;
}

/** Entries with where each came from (`line 12`, `row 3`): log lines name the place, never the content. */
export interface LoadedEntries {
  entries: readonly string[];
  where(index: number): string;
}

/** An error whose message the kit wrote itself: safe to log (other errors are logged by name and code only). */
export class AllowlistSourceError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'AllowlistSourceError';
  }
}

const SOURCE_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** Names a user source may not take: the kit's own. */
const RESERVED_NAMES = new Set(['env']);

export const DEFAULT_MAX_ALLOWLIST_ENTRIES = 10_000;
export const DEFAULT_LOAD_TIMEOUT_MILLIS = 30_000;
export const DEFAULT_FILE_POLL_MILLIS = 30_000;
export const DEFAULT_FILE_DEBOUNCE_MILLIS = 200;
/** Larger files are refused (kept last good): an allowlist is never megabytes. */
export const MAX_ALLOWLIST_FILE_BYTES = 4 * 1024 * 1024;
/** A reload that would empty a non-empty list waits this long for the file to stay the same (a half-written file). */
export const DEFAULT_FILE_STABLE_MILLIS = 1_000;
const READ_CHUNK_BYTES = 64 * 1024;

/**
 * Allowlist text → raw entries, fed in chunks: one entry per line or
 * comma-separated; `#` starts a comment to the end of the line; blank entries
 * are ignored; a UTF-8 BOM and CRLF are fine. Throws as soon as there are more
 * than `maxEntries` entries. (Validation happens later.)
 */
export class AllowlistTextReader {
  readonly entries: string[] = [];
  /** The 1-based line of each entry. */
  readonly lines: number[] = [];
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';
  private line = 0;
  // Stryker disable next-line BooleanLiteral: the BOM handling is equivalent, see feed()
  private started = false;
  private firstLoads: Promise<void> | undefined;

  constructor(private readonly maxEntries = Infinity) {}

  push(chunk: Buffer | string): void {
    this.feed(typeof chunk === 'string' ? chunk : this.decoder.write(chunk), false);
  }

  end(): this {
    this.feed(this.decoder.end(), true);
    return this;
  }

  private feed(text: string, final: boolean): void {
    let buffered = this.rest + text;
    // Stryker disable all: a leading BOM is also removed by trim() in parseLine (U+FEFF is white space to it), so keeping it changes no entry nor line
    if (!this.started && (buffered.length > 0 || final)) {
      this.started = true;
      if (buffered.startsWith('\uFEFF')) buffered = buffered.slice(1);
    }
    // Stryker restore all
    // A CR at the end of a chunk may be the first half of a CRLF.
    const keep = final ? buffered.length : buffered.endsWith('\r') ? buffered.length - 1 : buffered.length;
    const lines = buffered.slice(0, keep).split(/\r\n|\n|\r/);
    // Stryker disable next-line StringLiteral: after the final chunk the reader is done; what rest holds is never read
    this.rest = final ? '' : lines.pop()! + buffered.slice(keep);
    for (const line of lines) this.parseLine(line);
  }

  private parseLine(line: string): void {
    this.line++;
    const hash = line.indexOf('#');
    const content = hash >= 0 ? line.slice(0, hash) : line;
    for (const part of content.split(',')) {
      const entry = part.trim();
      if (entry === '') continue;
      if (this.entries.length >= this.maxEntries) {
        throw new AllowlistSourceError(`more than ${this.maxEntries} entries (stopped reading at line ${this.line})`, 'ETOOMANY');
      }
      this.entries.push(entry);
      this.lines.push(this.line);
    }
  }
}

/** Text → raw entries (see AllowlistTextReader). */
export function splitAllowlistText(text: string): string[] {
  const reader = new AllowlistTextReader();
  reader.push(text);
  return reader.end().entries;
}

function fileKind(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO';
  // Stryker disable next-line ConditionalExpression: `true` differs only for the kinds below, which never get here
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  // Stryker disable next-line all: unreachable; open() refuses a socket (ENXIO) before fstat
  if (s.isSocket()) return 'a socket';
  // Stryker disable next-line all: unreachable; after following links every kind is one of the above
  return 'not a regular file';
}

export interface ReadAllowlistFileOptions {
  maxBytes?: number;
  maxEntries?: number;
  signal?: AbortSignal;
}

export interface AllowlistFileContent {
  entries: string[];
  lines: number[];
  /** inode:size:mtime:ctime of the file that was read. */
  signature: string;
}

/**
 * Reads an allowlist file without ever blocking: opened once, non-blocking (a
 * FIFO does not wait for a writer), checked to be a regular file after
 * following links, then read in chunks that stop at `maxBytes`, at
 * `maxEntries` or when `signal` aborts; the file is closed in every case.
 */
export async function readAllowlistFile(path: string, options: ReadAllowlistFileOptions = {}): Promise<AllowlistFileContent> {
  const maxBytes = options.maxBytes ?? MAX_ALLOWLIST_FILE_BYTES;
  const { signal } = options;
  signal?.throwIfAborted();
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new AllowlistSourceError(`${fileKind(s)}, not a regular file`, s.isDirectory() ? 'EISDIR' : 'ENOTREG');
    if (s.size > maxBytes) throw new AllowlistSourceError(`${s.size} bytes is more than the ${maxBytes} allowed`, 'EFBIG');
    const reader = new AllowlistTextReader(options.maxEntries);
    const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let total = 0;
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      // The size was checked, but the file may grow while it is read.
      if (total > maxBytes) throw new AllowlistSourceError(`more than the ${maxBytes} bytes allowed`, 'EFBIG');
      reader.push(buffer.subarray(0, bytesRead));
    }
    reader.end();
    return { entries: reader.entries, lines: reader.lines, signature: signatureOf(s) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

const signatureOf = (s: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): string => `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;

export interface CanonicalEntries {
  entries: string[];
  /** Entries that are not canonical allowlist entries (never logged: their place is). */
  invalid: string[];
  /** The index in the input of each invalid entry. */
  invalidIndexes: number[];
}

/** Raw entries → canonical, de-duplicated entries (first-seen order), plus the invalid ones. */
export function canonicalEntries(raw: readonly unknown[]): CanonicalEntries {
  const entries = new Set<string>();
  const invalid: string[] = [];
  const invalidIndexes: number[] = [];
  raw.forEach((item, index) => {
    const value = typeof item === 'number' && Number.isSafeInteger(item) ? String(item) : item;
    const entry = canonicalAllowlistEntry(value);
    if (entry === undefined) {
      invalid.push(typeof value === 'string' ? value : String(typeof value));
      invalidIndexes.push(index);
    } else entries.add(entry);
  });
  return { entries: [...entries], invalid, invalidIndexes };
}

/** An error as one safe log fragment: the kit's own messages, otherwise only the error's name and code (never text a file, a server or a database chose). */
export function safeErrorText(error: unknown): string {
  if (error instanceof AllowlistSourceError) return error.code === undefined ? error.message : `${error.message} [${error.code}]`;
  const code = (error as { code?: unknown })?.code;
  const name = error instanceof Error ? error.name : typeof error;
  return typeof code === 'string' && /^[A-Za-z0-9_]{1,32}$/.test(code) ? `${name} ${code}` : name;
}

function shortQuote(value: string): string {
  return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
}

/** A source's description of an entry's place, bounded to a short, printable text. */
function safePlace(where: (index: number) => string, index: number): string {
  try {
    const text = String(where(index));
    return /^[\x20-\x7e]{1,40}$/.test(text) ? text : `entry #${index + 1}`;
  } catch {
    return `entry #${index + 1}`;
  }
}

/** Aborts with `reason` when `signal` does, or resolves after `ms`. */
const pause = (ms: number, signal: AbortSignal | undefined): Promise<void> => delay(ms, undefined, { signal, ref: false });

export interface FileSourceOptions {
  /** Name in logs and labels; default `file`. */
  name?: string;
  /** Stat fallback period (fs.watch misses events on NFS, some container mounts...); default 30 s; 0 disables. */
  pollMillis?: number;
  /** Quiet time after the last fs.watch event before re-reading (editors write in several steps); default 200 ms. */
  debounceMillis?: number;
  /** Use fs.watch on the file's directory (default true); polling works alone. */
  useWatch?: boolean;
  /** A read that would empty a non-empty list is accepted only once the file stayed the same this long; default 1 s. */
  stableMillis?: number;
}

/**
 * The allowlist file: one entry per line or comma-separated, `#` comments.
 * Read without blocking the event loop (readAllowlistFile: non-blocking open,
 * regular files only, byte and entry caps, cancelled by the load timeout).
 * Re-read when fs.watch reports a change in its directory (debounced; the
 * directory is watched, so atomic rename-replace and Kubernetes ConfigMap
 * symlink swaps are seen), and when a periodic stat sees a different inode,
 * size or mtime. A missing, unreadable, non-regular or oversized file, one with
 * too many entries, or one with entries but no valid one, is an error: the
 * last good list stays. A read that would empty a non-empty list (a file
 * truncated before being rewritten) is read again after `stableMillis` and
 * accepted only if the file did not change meanwhile.
 */
export function fileAllowlistSource(path: string, options: FileSourceOptions = {}): AllowlistSource {
  const file = resolvePath(path);
  const name = options.name ?? 'file';
  const pollMillis = options.pollMillis ?? DEFAULT_FILE_POLL_MILLIS;
  const debounceMillis = options.debounceMillis ?? DEFAULT_FILE_DEBOUNCE_MILLIS;
  const stableMillis = options.stableMillis ?? DEFAULT_FILE_STABLE_MILLIS;

  // What the last load saw; the stat check reloads when the file no longer matches it.
  let loadedSignature: string | undefined;
  // Entries of the last successful read: a read of none after some waits for the file to settle.
  let lastCount = 0;
  const failed = (error: unknown): string => `failed:${(error as NodeJS.ErrnoException).code ?? 'error'}`;

  const read = async (context: LoadContext | undefined): Promise<AllowlistFileContent> => {
    try {
      const content = await readAllowlistFile(file, { maxEntries: context?.maxEntries, signal: context?.signal });
      loadedSignature = content.signature;
      return content;
    } catch (error) {
      // Remember the failure's identity: an unchanged broken file is not retried by the stat check.
      loadedSignature = await stat(file).then(
        (s) => `${signatureOf(s)}:${(error as { code?: string }).code ?? 'error'}`,
        () => failed(error),
      );
      throw error;
    }
  };

  return {
    name,
    async load(context) {
      let content = await read(context);
      while (content.entries.length === 0 && lastCount > 0) {
        // Emptying a non-empty list: only if the file stays empty and unchanged for stableMillis.
        const seen = content.signature;
        await pause(stableMillis, context?.signal);
        content = await read(context);
        if (content.entries.length === 0 && content.signature === seen) break;
      }
      lastCount = content.entries.length;
      const lines = content.lines;
      // Stryker disable next-line StringLiteral: the fallback is unreachable: the kit asks only for indexes of these entries
      return { entries: content.entries, where: (index) => `line ${lines[index] ?? '?'}` };
    },
    watch(onChange) {
      let timer: NodeJS.Timeout | undefined;
      const changed = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        timer = setTimeout(() => {
          timer = undefined;
          onChange();
        }, debounceMillis);
        timer.unref();
      };

      let watcher: FSWatcher | undefined;
      if (options.useWatch !== false) {
        const base = basename(file);
        try {
          watcher = fsWatch(dirname(file), { persistent: false }, (_event, filename) => {
            // Any event on the file, on an unnamed entry, or on a `..data`-style
            // symlink swap may change what the path resolves to.
            if (filename === null || filename === base || String(filename).startsWith('..')) changed();
          });
          watcher.on('error', (error) => {
            warnRateLimited(`allowlist:${name}:watch`, `allowlist file ${file}: fs.watch failed (${safeErrorText(error)}); relying on the ${pollMillis} ms stat check`);
            watcher?.close();
            watcher = undefined;
          });
        } catch (error) {
          warnRateLimited(`allowlist:${name}:watch`, `allowlist file ${file}: fs.watch unavailable (${safeErrorText(error)}); relying on the ${pollMillis} ms stat check`);
        }
      }

      let poll: NodeJS.Timeout | undefined;
      if (pollMillis > 0) {
        let busy = false;
        poll = setInterval(() => {
          if (busy) return;
          busy = true;
          stat(file)
            .then(signatureOf, failed)
            .then((current) => {
              // Reload when the file is not what the last load saw (a broken
              // file that stays the same is not retried, nor logged again).
              if (loadedSignature !== undefined && loadedSignature !== current && !loadedSignature.startsWith(`${current}:`)) onChange();
            })
            .finally(() => {
              busy = false;
            });
        }, pollMillis);
        poll.unref();
      }

      return () => {
        if (timer !== undefined) clearTimeout(timer);
        if (poll !== undefined) clearInterval(poll);
        watcher?.close();
      };
    },
  };
}

/** A fixed list, as a source (e.g. for tests or a list computed at start). */
export function staticAllowlistSource(name: string, entries: readonly string[]): AllowlistSource {
  return { name, load: async () => entries, loadSync: () => entries };
}

export interface DynamicAllowlistOptions {
  policy: WorkspacePolicy;
  /** Always in the list (METRICS_WORKSPACE_ALLOWLIST). */
  staticEntries?: readonly string[];
  sources?: readonly AllowlistSource[];
  /** Cap on the effective list (first entries win: static, then sources in order); default 10,000. */
  maxEntries?: number;
  /** A load that takes longer fails (the last good list stays); default 30 s. */
  loadTimeoutMillis?: number;
  now?: () => number;
}

interface SourceState {
  source: AllowlistSource;
  /** Canonical entries of the last good load (undefined before the first one). */
  entries: readonly string[] | undefined;
  errors: number;
  loading: Promise<void> | undefined;
  /** The source's own load promise, until it settles (it may outlive a timed-out load). */
  running: Promise<unknown> | undefined;
  again: boolean;
  timer: NodeJS.Timeout | undefined;
  unwatch: (() => void) | undefined;
}

export interface SourceErrors {
  source: string;
  errors: number;
}

/** Keeps a policy's allowlist equal to the union of its sources, reloading them as they change. */
export class DynamicAllowlist {
  readonly policy: WorkspacePolicy;
  private readonly staticEntries: readonly string[];
  private readonly states: SourceState[] = [];
  private readonly maxEntries: number;
  private readonly loadTimeoutMillis: number;
  private readonly now: () => number;
  private started = false;
  private firstLoads: Promise<void> | undefined;
  private stopped = false;
  private applied: string;
  /** Last successful load of any source, or the start (ms since the epoch). */
  lastReloadMillis: number;

  constructor(options: DynamicAllowlistOptions) {
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ALLOWLIST_ENTRIES;
    this.loadTimeoutMillis = options.loadTimeoutMillis ?? DEFAULT_LOAD_TIMEOUT_MILLIS;
    // Stryker disable next-line ArrayDeclaration: the mutant's ["Stryker was here"] is not a canonical entry and is dropped like nothing
    this.staticEntries = canonicalEntries(options.staticEntries ?? []).entries;
    const names = new Set<string>(RESERVED_NAMES);
    for (const source of options.sources ?? []) {
      if (typeof source?.name !== 'string' || !SOURCE_NAME.test(source.name) || names.has(source.name) || typeof source.load !== 'function') {
        logError(`allowlist source ${shortQuote(String(source?.name))} skipped: a source needs a unique name matching ${SOURCE_NAME.source} (not "env") and a load() function`);
        continue;
      }
      names.add(source.name);
      this.states.push({ source, entries: undefined, errors: 0, loading: undefined, running: undefined, again: false, timer: undefined, unwatch: undefined });
    }
    this.applied = this.policy.allowlist.join(',');
    this.lastReloadMillis = this.now();
  }

  /** Source names, in order (the file source is `file`). */
  get sourceNames(): string[] {
    return this.states.map((state) => state.source.name);
  }

  /** The effective list (canonical entries). */
  get entries(): readonly string[] {
    return this.policy.allowlist;
  }

  errorCounts(): SourceErrors[] {
    return this.states.map((state) => ({ source: state.source.name, errors: state.errors }));
  }

  /**
   * Load every source once (synchronously only for a source that offers
   * `loadSync`; the file source does not, so nothing blocks here), then start
   * timers and watchers. The promise settles when every first load has
   * finished; it never rejects. Calling it again returns the same promise
   * (`await kit.allowlist.start()` waits for the file's first read).
   */
  start(): Promise<void> {
    if (this.firstLoads !== undefined) return this.firstLoads; // a second call waits for the same first loads
    this.started = true;
    for (const state of this.states) {
      if (state.source.loadSync) {
        try {
          this.accept(state, state.source.loadSync());
        } catch (error) {
          this.fail(state, error);
        }
      }
    }
    this.apply();
    const first = this.states.filter((state) => !state.source.loadSync).map((state) => this.reloadSource(state));
    for (const state of this.states) {
      const interval = state.source.intervalMillis ?? 0;
      if (interval > 0) {
        state.timer = setInterval(() => void this.reloadSource(state), Math.max(interval, 10));
        state.timer.unref();
      }
      if (state.source.watch) {
        try {
          state.unwatch = state.source.watch(() => void this.reloadSource(state));
        } catch (error) {
          this.fail(state, error);
        }
      }
    }
    this.firstLoads = Promise.all(first).then(() => undefined);
    return this.firstLoads;
  }

  /** Reload every source now (or the named one); resolves when done, never rejects. */
  async reload(name?: string): Promise<void> {
    await Promise.all(this.states.filter((state) => name === undefined || state.source.name === name).map((state) => this.reloadSource(state)));
  }

  /** Stop timers and watchers and close the sources; the current list stays in the policy. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const state of this.states) {
      if (state.timer !== undefined) clearInterval(state.timer);
      try {
        state.unwatch?.();
      } catch {
        // a watcher that fails to stop must not stop the others
      }
    }
    // In-flight loads are not awaited (one may hang until its timeout); their results are ignored.
    await Promise.all(
      this.states.map(async (state) => {
        try {
          await state.source.close?.();
        } catch (error) {
          warnRateLimited(`allowlist:${state.source.name}:close`, `allowlist source ${state.source.name}: close failed (${(error as Error).message})`);
        }
      }),
    );
  }

  private reloadSource(state: SourceState): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (state.loading !== undefined) {
      // One load at a time per source; a change seen meanwhile reloads once more after it.
      state.again = true;
      return state.loading;
    }
    const run = async (): Promise<void> => {
      do {
        state.again = false;
        if (state.running !== undefined) {
          // A load that timed out and ignores its abort signal: never start a second one beside it.
          this.fail(state, new AllowlistSourceError('its previous load, timed out, has not finished yet; not starting another', 'EBUSY'));
          return;
        }
        try {
          const loaded = await this.loadOnce(state);
          if (this.stopped) return;
          this.accept(state, loaded);
        } catch (error) {
          if (this.stopped) return;
          this.fail(state, error);
        }
        this.apply();
      } while (state.again && !this.stopped);
    };
    state.loading = run().finally(() => {
      state.loading = undefined;
    });
    return state.loading;
  }

  /** One call of the source's load, aborted (and failed) after the load timeout; `running` tracks it until it really settles. */
  private loadOnce(state: SourceState): Promise<readonly unknown[] | LoadedEntries> {
    const controller = new AbortController();
    let work: Promise<readonly unknown[] | LoadedEntries>;
    try {
      work = Promise.resolve(state.source.load({ signal: controller.signal, maxEntries: this.maxEntries, timeoutMillis: this.loadTimeoutMillis }));
    } catch (error) {
      work = Promise.reject(error);
    }
    const running = work.then(
      () => undefined,
      () => undefined,
    );
    state.running = running;
    void running.then(() => {
      if (state.running === running) state.running = undefined;
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new AllowlistSourceError(`no answer within ${this.loadTimeoutMillis} ms`, 'ETIMEDOUT');
        controller.abort(error);
        reject(error);
      }, this.loadTimeoutMillis);
      timer.unref();
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private accept(state: SourceState, loaded: readonly unknown[] | LoadedEntries): void {
    const list = Array.isArray(loaded) ? (loaded as readonly unknown[]) : (loaded as LoadedEntries | undefined)?.entries;
    if (!Array.isArray(list)) throw new AllowlistSourceError('load() did not return an array');
    const where = !Array.isArray(loaded) && typeof (loaded as LoadedEntries).where === 'function' ? (loaded as LoadedEntries).where : (index: number) => `entry #${index + 1}`;
    const { entries, invalid, invalidIndexes } = canonicalEntries(list);
    const name = state.source.name;
    // The place of the first invalid entry, never its text: a mis-pointed file may hold secrets.
    const example = invalidIndexes.length > 0 ? safePlace(where, invalidIndexes[0]!) : '';
    if (invalid.length > 0) {
      if (entries.length === 0) {
        // Nothing valid at all: a broken source (wrong file, wrong column), not an empty allowlist.
        this.fail(state, new AllowlistSourceError(`none of its ${invalid.length} entries is valid (first at ${example}; expected ${ALLOWLIST_ENTRY_SHAPE})`));
        return;
      }
      warnRateLimited(
        `allowlist:${name}:entries`,
        `allowlist source ${name}: ${invalid.length} entries skipped, not canonical (first at ${example}; expected ${ALLOWLIST_ENTRY_SHAPE})`,
      );
    }
    state.entries = entries;
    this.lastReloadMillis = this.now();
  }

  private fail(state: SourceState, error: unknown): void {
    state.errors++;
    const kept = state.entries === undefined ? 'no list from it yet' : `keeping its last good list (${state.entries.length} entries)`;
    warnRateLimited(`allowlist:${state.source.name}:load`, `allowlist source ${state.source.name}: reload failed (${safeErrorText(error)}); ${kept}`);
  }

  /** Union of static entries and every source's last good list → the policy, if it changed. */
  private apply(): void {
    const union = new Set<string>(this.staticEntries);
    for (const state of this.states) for (const entry of state.entries ?? []) union.add(entry);
    let list = [...union];
    if (list.length > this.maxEntries) {
      warnRateLimited('allowlist:max', `the allowlist has ${list.length} entries, more than the ${this.maxEntries} allowed; the rest fold into __other__`);
      list = list.slice(0, this.maxEntries);
    }
    const key = [...list].sort().join(',');
    if (key === this.applied) return;
    const before = new Set(this.policy.allowlist);
    this.policy.setAllowlist(list);
    this.applied = this.policy.allowlist.join(',');
    const after = this.policy.allowlist;
    const added = after.filter((entry) => !before.has(entry)).length;
    const afterSet = new Set(after);
    const removed = [...before].filter((entry) => !afterSet.has(entry)).length;
    if (this.started) logInfo(`workspace allowlist reloaded: ${after.length} entries (+${added} -${removed})`);
  }
}
