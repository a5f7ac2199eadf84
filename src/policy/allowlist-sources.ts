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
import { readFileSync, statSync, watch as fsWatch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { ALLOWLIST_ENTRY_SHAPE, canonicalAllowlistEntry } from '../model/canonical';
import type { WorkspacePolicy } from './workspace-policy';
import { logError, logInfo, warnRateLimited } from '../log';
import { withDeadline } from '../deadline';

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
  /** The current entries. Reject (or return nothing valid from a non-empty list) to keep the last good list. */
  load(): Promise<readonly string[]>;
  /** Optional synchronous first load, so the list is in place before the first recording (the file source has one). */
  loadSync?(): readonly string[];
  /** Reload period in milliseconds; absent or 0: only at start, on `watch` and on `reload()`. */
  readonly intervalMillis?: number;
  /** Optional change notifications: call `onChange` when the source may have changed; returns a function that stops watching. */
  watch?(onChange: () => void): () => void;
  /** Release connections and watchers; called by `stop()`. */
  close?(): Promise<void> | void;
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

/**
 * Text → raw entries: one per line or comma-separated; `#` starts a comment
 * to the end of the line; blank entries are ignored. (Validation happens later.)
 */
export function splitAllowlistText(text: string): string[] {
  const out: string[] = [];
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n|\r/)) {
    const hash = line.indexOf('#');
    const content = hash >= 0 ? line.slice(0, hash) : line;
    for (const part of content.split(',')) {
      const entry = part.trim();
      if (entry !== '') out.push(entry);
    }
  }
  return out;
}

export interface CanonicalEntries {
  entries: string[];
  /** Entries that are not canonical allowlist entries (shown quoted and shortened in logs). */
  invalid: string[];
}

/** Raw entries → canonical, de-duplicated entries (first-seen order), plus the invalid ones. */
export function canonicalEntries(raw: readonly unknown[]): CanonicalEntries {
  const entries = new Set<string>();
  const invalid: string[] = [];
  for (const item of raw) {
    const value = typeof item === 'number' && Number.isSafeInteger(item) ? String(item) : item;
    const entry = canonicalAllowlistEntry(value);
    if (entry === undefined) invalid.push(typeof value === 'string' ? value : String(typeof value));
    else entries.add(entry);
  }
  return { entries: [...entries], invalid };
}

function shortQuote(value: string): string {
  return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
}

export interface FileSourceOptions {
  /** Name in logs and labels; default `file`. */
  name?: string;
  /** Stat fallback period (fs.watch misses events on NFS, some container mounts...); default 30 s; 0 disables. */
  pollMillis?: number;
  /** Quiet time after the last fs.watch event before re-reading (editors write in several steps); default 200 ms. */
  debounceMillis?: number;
  /** Use fs.watch on the file's directory (default true); polling works alone. */
  useWatch?: boolean;
}

/**
 * The allowlist file: one entry per line or comma-separated, `#` comments.
 * Re-read when fs.watch reports a change in its directory (debounced; the
 * directory is watched, so atomic rename-replace and Kubernetes ConfigMap
 * symlink swaps are seen), and when a periodic stat sees a different inode,
 * size or mtime. A missing, unreadable or oversized file, or one with
 * entries but no valid one, is an error: the last good list stays.
 */
export function fileAllowlistSource(path: string, options: FileSourceOptions = {}): AllowlistSource {
  const file = resolvePath(path);
  const name = options.name ?? 'file';
  const pollMillis = options.pollMillis ?? DEFAULT_FILE_POLL_MILLIS;
  const debounceMillis = options.debounceMillis ?? DEFAULT_FILE_DEBOUNCE_MILLIS;

  // What the last load saw; the stat check reloads when the file no longer matches it.
  let loadedSignature: string | undefined;
  const signatureOf = (s: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): string =>
    `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  const checkSize = (size: number): void => {
    if (size > MAX_ALLOWLIST_FILE_BYTES) throw new Error(`${size} bytes is more than the ${MAX_ALLOWLIST_FILE_BYTES} allowed`);
  };

  const failed = (error: unknown): string => `failed:${(error as NodeJS.ErrnoException).code ?? 'error'}`;

  return {
    name,
    loadSync() {
      let s;
      try {
        s = statSync(file);
      } catch (error) {
        loadedSignature = failed(error);
        throw error;
      }
      loadedSignature = signatureOf(s);
      checkSize(s.size);
      return splitAllowlistText(readFileSync(file, 'utf8'));
    },
    async load() {
      let s;
      try {
        s = await stat(file);
      } catch (error) {
        loadedSignature = failed(error);
        throw error;
      }
      loadedSignature = signatureOf(s);
      checkSize(s.size);
      return splitAllowlistText(await readFile(file, 'utf8'));
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
            warnRateLimited(`allowlist:${name}:watch`, `allowlist file ${file}: fs.watch failed (${error.message}); relying on the ${pollMillis} ms stat check`);
            watcher?.close();
            watcher = undefined;
          });
        } catch (error) {
          warnRateLimited(`allowlist:${name}:watch`, `allowlist file ${file}: fs.watch unavailable (${(error as Error).message}); relying on the ${pollMillis} ms stat check`);
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
              if (loadedSignature !== undefined && current !== loadedSignature) onChange();
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
  private stopped = false;
  private applied: string;
  /** Last successful load of any source, or the start (ms since the epoch). */
  lastReloadMillis: number;

  constructor(options: DynamicAllowlistOptions) {
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ALLOWLIST_ENTRIES;
    this.loadTimeoutMillis = options.loadTimeoutMillis ?? DEFAULT_LOAD_TIMEOUT_MILLIS;
    this.staticEntries = canonicalEntries(options.staticEntries ?? []).entries;
    const names = new Set<string>(RESERVED_NAMES);
    for (const source of options.sources ?? []) {
      if (typeof source?.name !== 'string' || !SOURCE_NAME.test(source.name) || names.has(source.name) || typeof source.load !== 'function') {
        logError(`allowlist source ${shortQuote(String(source?.name))} skipped: a source needs a unique name matching ${SOURCE_NAME.source} (not "env") and a load() function`);
        continue;
      }
      names.add(source.name);
      this.states.push({ source, entries: undefined, errors: 0, loading: undefined, again: false, timer: undefined, unwatch: undefined });
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
   * Load every source once (synchronously where a source can, so the file's
   * list is in place before this returns), then start timers and watchers.
   * The promise settles when every first load has finished; it never rejects.
   */
  start(): Promise<void> {
    if (this.started) return Promise.resolve();
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
    return Promise.all(first).then(() => undefined);
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
        try {
          const loaded = await withDeadline(state.source.load(), this.loadTimeoutMillis);
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

  private accept(state: SourceState, loaded: readonly unknown[]): void {
    if (!Array.isArray(loaded)) throw new Error('load() did not return an array');
    const { entries, invalid } = canonicalEntries(loaded);
    const name = state.source.name;
    if (invalid.length > 0) {
      if (entries.length === 0) {
        // Nothing valid at all: a broken source (wrong file, wrong column), not an empty allowlist.
        this.fail(state, new Error(`none of its ${invalid.length} entries is valid (e.g. ${shortQuote(invalid[0]!)}; expected ${ALLOWLIST_ENTRY_SHAPE})`));
        return;
      }
      warnRateLimited(
        `allowlist:${name}:entries`,
        `allowlist source ${name}: ${invalid.length} entries skipped, not canonical (e.g. ${shortQuote(invalid[0]!)}; expected ${ALLOWLIST_ENTRY_SHAPE})`,
      );
    }
    state.entries = entries;
    this.lastReloadMillis = this.now();
  }

  private fail(state: SourceState, error: unknown): void {
    state.errors++;
    const kept = state.entries === undefined ? 'no list from it yet' : `keeping its last good list (${state.entries.length} entries)`;
    const message = error instanceof Error ? error.message : String(error);
    warnRateLimited(`allowlist:${state.source.name}:load`, `allowlist source ${state.source.name}: reload failed (${message.replace(/\s+/g, ' ')}); ${kept}`);
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
