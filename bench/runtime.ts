/**
 * Part: what the runtime and process metrics cost. Fresh processes with
 * METRICS_RUNTIME=on and off, alternating over rounds: the embedded endpoint's
 * scrape latency and size, an in-process collection, and the typed helper's
 * hot path (which the runtime metrics must leave unchanged). Medians over rounds.
 */
import { envInt, median, printTable, runChild } from './common';

interface Result {
  mode: 'on' | 'off';
  scrapeMs: number;
  collectMs: number;
  bytes: number;
  series: number;
  hotNsPerCall: number;
}

export async function runtime(): Promise<{ hotRatio: number; scrapeAddedMs: number }> {
  const rounds = envInt('BENCH_ROUNDS', 5);
  console.log(`\n## Runtime and process metrics: cost per scrape and on the hot path (${rounds} rounds, one fresh process per mode and round)`);
  const byMode: Record<'on' | 'off', Result[]> = { on: [], off: [] };
  for (let round = 0; round < rounds; round++) {
    for (const mode of round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      byMode[mode].push(await runChild<Result>('runtime-worker.js', [mode]));
    }
  }
  const m = (mode: 'on' | 'off', key: keyof Omit<Result, 'mode'>) => median(byMode[mode].map((r) => r[key]));
  printTable(
    'Medians over rounds',
    ['METRICS_RUNTIME', 'scrape ms', 'collect ms', 'scrape bytes', 'series', 'hot path ns/call'],
    (['off', 'on'] as const).map((mode) => [mode, m(mode, 'scrapeMs'), m(mode, 'collectMs'), m(mode, 'bytes'), m(mode, 'series'), m(mode, 'hotNsPerCall')]),
  );
  const hotRatio = median(byMode.on.map((r, i) => r.hotNsPerCall / byMode.off[i]!.hotNsPerCall));
  const scrapeAddedMs = m('on', 'scrapeMs') - m('off', 'scrapeMs');
  console.log(`runtime metrics add ${scrapeAddedMs.toFixed(3)} ms per scrape (${(m('on', 'bytes') - m('off', 'bytes')).toLocaleString('en-US')} bytes, ${m('on', 'series') - m('off', 'series')} series); hot path on/off ${hotRatio.toFixed(3)}×`);
  return { hotRatio, scrapeAddedMs };
}
