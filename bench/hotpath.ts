/**
 * Part 1, hot-path recording cost per call: the kit (fast path and views
 * path) against the raw OTel SDK (no views), prom-client 15 and a no-op, for
 * counters, histograms and the typed helper (counter + histogram). Each
 * variant runs in a fresh process; rounds alternate the order; the table
 * shows medians over rounds, ratios are medians of per-round ratios.
 */
import { envInt, median, printTable, runChild } from './common';

interface Result {
  variant: string;
  nsPerOp: number;
}

const VARIANTS: [string, string][] = [
  ['noop', 'no-op: loop + fresh 4-key attribute object'],
  ['kit-off-helper', 'recordActionExecution, kit off (no provider)'],
  ['prom-counter', 'prom-client counter.inc(labels)'],
  ['otel-counter', 'OTel SDK counter.add, no views'],
  ['views-counter', 'kit counter(decl).add, views path'],
  ['fast-counter', 'kit counter(decl).add, fast path'],
  ['prom-histogram', 'prom-client histogram.observe(labels, v)'],
  ['otel-histogram', 'OTel SDK histogram.record, no views'],
  ['views-histogram', 'kit histogram(decl).record, views path'],
  ['fast-histogram', 'kit histogram(decl).record, fast path'],
  ['prom-both', 'prom-client inc + observe'],
  ['otel-both', 'OTel SDK add + record, no views'],
  ['views-helper', 'kit recordActionExecution, views path'],
  ['fast-helper', 'kit recordActionExecution, fast path'],
  ['resolve-listed', 'WorkspacePolicy.resolve, allowlisted id'],
  ['resolve-unlisted', 'WorkspacePolicy.resolve, unlisted id (folds)'],
];

const RATIOS: [string, string, string][] = [
  ['counter: kit fast path / prom-client', 'fast-counter', 'prom-counter'],
  ['histogram: kit fast path / prom-client', 'fast-histogram', 'prom-histogram'],
  ['counter+histogram: kit helper, fast / prom-client', 'fast-helper', 'prom-both'],
  ['counter: kit views path / prom-client', 'views-counter', 'prom-counter'],
  ['histogram: kit views path / prom-client', 'views-histogram', 'prom-histogram'],
  ['counter+histogram: kit helper, views / prom-client', 'views-helper', 'prom-both'],
  ['counter: raw OTel SDK / prom-client', 'otel-counter', 'prom-counter'],
  ['histogram: raw OTel SDK / prom-client', 'otel-histogram', 'prom-histogram'],
  ['counter: kit fast path / raw OTel SDK', 'fast-counter', 'otel-counter'],
  ['counter: kit views path / raw OTel SDK', 'views-counter', 'otel-counter'],
];

export async function hotpath(): Promise<{ ratios: Record<string, number> }> {
  const rounds = envInt('BENCH_ROUNDS', 5);
  const byVariant = new Map<string, number[]>();
  const perRound: Map<string, number>[] = [];
  console.log(`\n## 1. Hot-path recording cost (${rounds} rounds × ${VARIANTS.length} variants, one fresh process each; 3-4 labels, 24 label tuples × 50 workspaces cycling, 20 allowlisted, workspace stream on)`);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
    const results = new Map<string, number>();
    for (const [variant] of order) {
      const result = await runChild<Result>('hotpath-worker.js', [variant]);
      results.set(variant, result.nsPerOp);
      if (!byVariant.has(variant)) byVariant.set(variant, []);
      byVariant.get(variant)!.push(result.nsPerOp);
    }
    perRound.push(results);
    process.stdout.write(`  round ${round + 1}/${rounds} done\n`);
  }
  printTable(
    'Hot path: ns per call (median over rounds; min–max)',
    ['variant', 'what', 'ns/call', 'min', 'max'],
    VARIANTS.map(([variant, what]) => {
      const values = byVariant.get(variant)!;
      return [variant, what, median(values), Math.min(...values), Math.max(...values)];
    }),
  );
  const ratios: Record<string, number> = {};
  printTable(
    'Hot path: ratios measured in the same round (median of per-round ratios; target for the first three: <= 1.0)',
    ['ratio', 'median', 'min', 'max'],
    RATIOS.map(([label, a, b]) => {
      const values = perRound.map((round) => round.get(a)! / round.get(b)!);
      ratios[label] = median(values);
      return [label, `${median(values).toFixed(2)}×`, `${Math.min(...values).toFixed(2)}×`, `${Math.max(...values).toFixed(2)}×`];
    }),
  );
  return { ratios };
}
