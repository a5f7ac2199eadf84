/**
 * Hostile input, property-based (issue 7): a service under the preload
 * records a fast-check corpus of 10,000 generated inputs (hostile workspace
 * ids, provider/action/jobType, statuses, durations and whole inputs: quotes,
 * backslashes, newlines, `a",x="1`, NUL, confusables, RTL marks, 10 kB
 * strings, numbers, bigints, symbols, objects, arrays, null/undefined,
 * throwing getters and proxies) plus a fixed list of bad calls, through
 * recordActionExecution/recordQueueJob. Its embedded endpoint is then
 *
 *   - parsed: every workspace label value is allowlisted or an overflow value,
 *     every free-form label value matches the kit's bounded-label pattern or is
 *     __other__, every status is a known status;
 *   - checked by `promtool check metrics` (stdin): no parse error, no lint
 *     problem other than the known-benign kinds;
 *   - scraped by the real Prometheus: up == 1, samples > 0, and the same totals;
 *   - summed: totals equal the accepted recordings exactly (the oracle in the
 *     fixture restates the README contract), bad calls leave no trace, nothing
 *     was thrown into the caller.
 *
 * A second service runs METRICS_WORKSPACE_POLICY=passthrough, so 2,000 raw
 * hostile workspace ids reach the exposition: that checks the escaping.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { parseExposition, sumSamples, type Family } from '../../src/exposition/parse';
import { WORKSPACE_LABEL_VALUE_PATTERN } from '../../src/model/canonical';
import { promtoolBinary } from '../helpers/binaries';
import { startPrometheus, type RunningPrometheus } from '../helpers/prometheus';
import { freePort, httpText, waitFor, type Tracked } from '../helpers/processes';
import { markedJson, spawnPreloadedApp } from '../helpers/services';

const FIXTURE = 'hostile-corpus-app.cjs';
const ALLOWLIST = ['ws-0001', 'ws-0002', 'acme', 'k8s-prod', 'team-a/ws-1', 'team-a/*'];
/** The kit's bounded-label pattern for free-form values (src/record/validate.ts FREE_FORM; README "The label policy"). */
const FREE_FORM = /^[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,127}$/;
const STATUSES = ['ok', 'error', 'timeout', 'cancelled', 'skipped', 'retry'];
const FREE_FORM_LABELS = { provider: 100, action: 500, job_type: 200 } as const;
/** promtool lint findings that say nothing about corruption (naming style of the OTel exporter's own output). */
const BENIGN_LINT = [
  /no help text/,
  /counter metrics should have "_total" suffix/,
  /metric names should not contain abbreviated units/,
  /use base unit/,
  // The semantic conventions name these gauges process.thread.count and process.unix.file_descriptor.count.
  /^process_(thread|unix_file_descriptor)_count non-histogram and non-summary metrics should not have "_count" suffix$/,
];

const COUNTED = {
  action: ['action_executions_total', 'action_executions_by_workspace_total', 'action_duration_seconds_count', 'action_duration_by_workspace_seconds_count'],
  queue: ['queue_jobs_total', 'queue_jobs_by_workspace_total', 'queue_job_duration_seconds_count', 'queue_job_duration_by_workspace_seconds_count'],
};

interface Corpus {
  generated: number;
  accepted: number;
  refused: number;
  acceptedActions: number;
  acceptedQueueJobs: number;
  badCalls: number;
  thrown: number;
}

interface App {
  process: Tracked;
  port: number;
  summary: Record<string, unknown>;
}

/** Waits for Prometheus to scrape the app successfully; on timeout the error names the target's lastError. */
async function waitForScrape(prometheus: RunningPrometheus): Promise<void> {
  try {
    await waitFor(async () => ((await prometheus.scalar('sum(up)')) === 1 && (await prometheus.scalar('sum(action_executions_total)')) > 0) || undefined, 45_000, 'Prometheus to scrape the app');
  } catch (error) {
    const targets = await fetch(`${prometheus.url}/api/v1/targets`).then((r) => r.json()).catch(() => ({}));
    throw new Error(`${(error as Error).message}; targets: ${JSON.stringify(targets).slice(0, 2000)}`);
  }
}

async function startCorpusApp(env: Record<string, string>): Promise<App> {
  const port = await freePort();
  const proc = spawnPreloadedApp(FIXTURE, { port, allowlist: ALLOWLIST, serviceName: 'hostile-corpus', env });
  const summary = await waitFor(
    () => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`the corpus app exited:\n${proc.output().slice(-3000)}`);
      return markedJson<Record<string, unknown>>(proc, 'CORPUS');
    },
    60_000,
    'the corpus app to record',
  );
  // The endpoint listens asynchronously, possibly after the app printed its summary: wait until it accepts
  // connections (a TCP connect, not a scrape: the pass-through exposition is ~8 MB), so the first scrape is the test's.
  await waitFor(
    () =>
      new Promise<true | undefined>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(undefined));
      }),
    30_000,
    'the embedded endpoint to listen',
  );
  return { process: proc, port, summary };
}

/** Scrape the app; a crashed app (e.g. the serializer threw) is reported with its output. */
async function scrapeApp(app: App): Promise<string> {
  try {
    // The passthrough corpus serializes to ~8 MB (1–1.3 s idle): allow for a loaded CI machine.
    return await httpText(`http://127.0.0.1:${app.port}/metrics`, undefined, 60_000);
  } catch (error) {
    await new Promise((r) => setTimeout(r, 200));
    throw new Error(`scraping the corpus app failed (${(error as Error).message}); app alive: ${app.process.child.exitCode === null}; its output:\n${app.process.output().slice(-3000)}`);
  }
}

interface PromtoolResult {
  status: number | null;
  parseErrors: string[];
  lint: string[];
  corruptLint: string[];
}

/** promtool exits 1 on a parse error ("error while linting: text format parsing error…"), 3 on lint problems only. */
function promtool(text: string): PromtoolResult {
  const r = spawnSync(promtoolBinary(), ['check', 'metrics'], { input: text, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
  const parseErrors = lines.filter((l) => /error while linting|parsing error|invalid/i.test(l));
  const lint = lines.filter((l) => !parseErrors.includes(l));
  return { status: r.status, parseErrors, lint, corruptLint: lint.filter((l) => !BENIGN_LINT.some((p) => p.test(l))) };
}

function labelValues(families: Map<string, Family>, label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const family of families.values()) {
    for (const sample of family.samples) {
      const value = sample.labels[label];
      if (value !== undefined) out.set(value, (out.get(value) ?? 0) + 1);
    }
  }
  return out;
}

function seriesCount(families: Map<string, Family>): number {
  let n = 0;
  for (const family of families.values()) n += family.samples.length;
  return n;
}

describe('10,000 generated hostile recordings through the typed helpers (enforce)', () => {
  let app: App;
  let corpus: Corpus;
  let text: string;
  let families: Map<string, Family>;
  let prometheus: RunningPrometheus | undefined;

  beforeAll(async () => {
    app = await startCorpusApp({ CORPUS_SIZE: '10000', CORPUS_SEED: process.env.CORPUS_SEED ?? '20251123' });
    corpus = app.summary as unknown as Corpus;
    text = await scrapeApp(app);
    families = parseExposition(text);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await app?.process.stop();
  });

  it('generated at least 10,000 inputs, refused the bad ones, threw nothing into the caller', () => {
    const workspaceValues = labelValues(families, 'workspace_id');
    console.log(
      `hostile corpus: generated=${corpus.generated} accepted=${corpus.accepted} (actions ${corpus.acceptedActions}, queue jobs ${corpus.acceptedQueueJobs}) ` +
        `refused=${corpus.refused} badCalls=${corpus.badCalls} (all refused) thrown=${corpus.thrown} ` +
        `exposition=${text.length} bytes, series seen=${seriesCount(families)}, workspace values=${workspaceValues.size} ` +
        `(${[...workspaceValues.keys()].sort().join(', ')})`,
    );
    expect(corpus.generated).toBeGreaterThanOrEqual(10_000);
    expect(corpus.accepted).toBeGreaterThan(1_000);
    expect(corpus.refused).toBeGreaterThan(1_000);
    expect(corpus.badCalls).toBeGreaterThan(50);
    expect(corpus.thrown).toBe(0);
    expect(app.process.child.exitCode).toBeNull();
  });

  it('counts exactly the accepted recordings in every stream (baseline and _by_workspace, counters and histogram counts)', () => {
    for (const name of COUNTED.action) expect(sumSamples(families, name), name).toBe(corpus.acceptedActions);
    for (const name of COUNTED.queue) expect(sumSamples(families, name), name).toBe(corpus.acceptedQueueJobs);
  });

  it('exports only allowlisted ids or overflow values as workspace labels', () => {
    const teams = ALLOWLIST.filter((e) => !e.includes('/')).concat(ALLOWLIST.filter((e) => e.endsWith('/*')).map((e) => e.slice(0, -2)));
    const allowed = new Set([...ALLOWLIST.filter((e) => !e.endsWith('/*')), '__other__', ...teams.map((t) => `${t}/__other__`)]);
    const pattern = new RegExp(WORKSPACE_LABEL_VALUE_PATTERN);
    const values = [...labelValues(families, 'workspace_id').keys()];
    expect(values).toContain('__other__');
    for (const value of values) {
      expect(allowed.has(value), JSON.stringify(value)).toBe(true);
      expect(value).toMatch(pattern);
    }
    // Baselines never carry it.
    for (const name of [...COUNTED.action, ...COUNTED.queue].filter((n) => !n.includes('by_workspace'))) {
      for (const family of families.values()) for (const s of family.samples) if (s.name === name) expect(s.labels).not.toHaveProperty('workspace_id');
    }
  });

  it('exports free-form labels only as bounded-pattern values or __other__, within their caps; statuses only known ones', () => {
    for (const [label, cap] of Object.entries(FREE_FORM_LABELS)) {
      const values = [...labelValues(families, label).keys()];
      expect(values.length, label).toBeGreaterThan(0);
      expect(values.length, `${label}: distinct values`).toBeLessThanOrEqual(cap + 1);
      for (const value of values) expect(value === '__other__' || FREE_FORM.test(value), `${label}=${JSON.stringify(value)}`).toBe(true);
    }
    const statuses = [...labelValues(families, 'status').keys()];
    for (const value of statuses) expect(STATUSES, JSON.stringify(value)).toContain(value);
  });

  it('leaves no trace of the bad calls (their distinctive label values never appear)', () => {
    expect(text).not.toContain('badcall');
  });

  it('is accepted by promtool check metrics: no parse error, only benign lint', () => {
    const result = promtool(text);
    console.log(`promtool (enforce): exit ${result.status}, ${result.parseErrors.length} parse errors, ${result.lint.length} lint lines (${[...new Set(result.lint.map((l) => l.replace(/^\S+\s+/, '')))].join('; ')})`);
    expect(result.parseErrors).toEqual([]);
    expect(result.corruptLint).toEqual([]);
    expect([0, 3]).toContain(result.status);
  });

  it('is scraped by the real Prometheus: up == 1, samples > 0, and the same totals', async () => {
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${app.port}`], scrapeIntervalSeconds: 5 });
    const p = prometheus;
    await waitForScrape(p);
    const scraped = await p.scalar('sum(scrape_samples_scraped)');
    console.log(`prometheus: up=1 scrape_samples_scraped=${scraped}`);
    expect(scraped).toBeGreaterThan(0);
    expect(await p.scalar('sum(action_executions_total)')).toBe(corpus.acceptedActions);
    expect(await p.scalar('sum(action_executions_by_workspace_total)')).toBe(corpus.acceptedActions);
    expect(await p.scalar('sum(queue_job_duration_by_workspace_seconds_count)')).toBe(corpus.acceptedQueueJobs);
    const ids = (await p.query('count by (workspace_id) ({workspace_id!=""})')).map((s) => s.metric.workspace_id);
    for (const id of ids) expect(id).toMatch(new RegExp(WORKSPACE_LABEL_VALUE_PATTERN));
  });
});

describe('2,000 raw hostile workspace ids in the exposition (METRICS_WORKSPACE_POLICY=passthrough)', () => {
  let app: App;
  let text: string;
  let prometheus: RunningPrometheus | undefined;
  let ids: string[];

  beforeAll(async () => {
    app = await startCorpusApp({ CORPUS_MODE: 'passthrough', CORPUS_SIZE: '2000', METRICS_WORKSPACE_POLICY: 'passthrough', CORPUS_SEED: '99' });
    ids = app.summary.ids as string[];
    text = await scrapeApp(app);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await app?.process.stop();
  });

  it('escapes every raw value losslessly: parsing the exposition gives back each id (as UTF-8)', () => {
    const families = parseExposition(text);
    const exported = new Set(labelValues(families, 'workspace_id').keys());
    const asUtf8 = (s: string) => Buffer.from(s, 'utf8').toString('utf8'); // lone surrogates become U+FFFD on the wire
    const missing = ids.filter((id) => !exported.has(asUtf8(id)));
    console.log(`passthrough: ${app.summary.recorded} recordings, ${ids.length} distinct raw ids, ${exported.size} exported values, exposition ${text.length} bytes`);
    expect(missing.map((m) => JSON.stringify(m).slice(0, 80))).toEqual([]);
    expect(sumSamples(families, 'action_executions_by_workspace_total')).toBe(app.summary.recorded);
    expect(app.summary.thrown).toBe(0);
  });

  it('never exports two series with the same name and label set (distinct raw ids stay distinct on the wire)', () => {
    const seen = new Map<string, number>();
    for (const family of parseExposition(text).values()) {
      for (const sample of family.samples) {
        const key = JSON.stringify([sample.name, Object.entries(sample.labels).sort()]);
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    }
    const duplicates = [...seen].filter(([, n]) => n > 1).map(([key, n]) => `${n}x ${key.slice(0, 160)}`);
    expect(duplicates).toEqual([]);
  });

  it('is accepted by promtool check metrics: no parse error, only benign lint', () => {
    const result = promtool(text);
    console.log(`promtool (passthrough): exit ${result.status}, ${result.parseErrors.length} parse errors, ${result.lint.length} lint lines`);
    expect(result.parseErrors.map((l) => l.slice(0, 300))).toEqual([]);
    expect(result.corruptLint).toEqual([]);
  });

  it('is scraped by the real Prometheus: up == 1 and every recording counted', async () => {
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${app.port}`], scrapeIntervalSeconds: 5 });
    const p = prometheus;
    await waitForScrape(p);
    expect(await p.scalar('sum(action_executions_by_workspace_total)')).toBe(app.summary.recorded);
    expect(await p.scalar('sum(scrape_samples_scraped)')).toBeGreaterThan(0);
  });
});
