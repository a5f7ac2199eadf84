/**
 * Part 2, memory under a cardinality attack: 1,000,000 distinct workspace ids
 * with a 20-entry allowlist, for the kit (fast and views paths) and for the
 * stock SDK with only its default cardinality limit. Each run is a fresh
 * process with --expose-gc; heap is measured after full GCs.
 */
import { envInt, median, printTable, runChild } from './common';

interface Point {
  recorded: number;
  heapMB: number;
  growthMB: number;
  series: number;
  seconds: number;
}
interface Result {
  variant: string;
  baselineMB: number;
  points: Point[];
}

const VARIANTS: [string, string][] = [
  ['kit-fast', 'kit, fast path (policy: allowlist 20 + __other__)'],
  ['kit-views', 'kit, views path (same policy)'],
  ['sdk-stock', 'stock SDK, no views, default cardinality limit'],
];

export async function memory(): Promise<{ growthMB: Record<string, number>; seriesConstant: Record<string, boolean> }> {
  const rounds = envInt('BENCH_MEMORY_ROUNDS', 3);
  const interval = envInt('BENCH_MEMORY_INTERVAL', 50_000);
  console.log(`\n## 2. Memory under a cardinality attack (1,000,000 distinct workspace ids, allowlist of 20, a collection every ${interval.toLocaleString('en-US')} recordings; ${rounds} alternating rounds, medians)`);
  const results = new Map<string, Result[]>();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
    for (const [variant] of order) {
      const result = await runChild<Result>('memory-worker.js', [variant], { nodeArgs: ['--expose-gc', '--max-old-space-size=8192'], timeoutMs: 1_200_000 });
      if (!results.has(variant)) results.set(variant, []);
      results.get(variant)!.push(result);
    }
    process.stdout.write(`  round ${round + 1}/${rounds} done\n`);
  }
  const rows: (string | number)[][] = [];
  const growthMB: Record<string, number> = {};
  const seriesConstant: Record<string, boolean> = {};
  for (const [variant, what] of VARIANTS) {
    const runs = results.get(variant)!;
    const checkpoints = runs[0]!.points.map((p) => p.recorded);
    for (const recorded of checkpoints) {
      const at = runs.map((r) => r.points.find((p) => p.recorded === recorded)!);
      rows.push([variant, what, recorded, median(at.map((p) => p.growthMB)), median(at.map((p) => p.heapMB)), median(at.map((p) => p.series)), median(at.map((p) => p.seconds))]);
    }
    growthMB[variant] = median(runs.map((r) => r.points[r.points.length - 1]!.growthMB));
    seriesConstant[variant] = runs.every((r) => new Set(r.points.map((p) => p.series)).size === 1);
  }
  printTable(
    'Memory: heap after GC and exported series vs distinct workspace ids recorded (medians)',
    ['variant', 'what', 'ids recorded', 'heap growth MB', 'heap MB', 'series exported', 'elapsed s'],
    rows,
  );
  return { growthMB, seriesConstant };
}
