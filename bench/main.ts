/**
 * `npm run bench` runs every part; `npm run bench -- <part> [<part>...]` runs
 * some: hotpath, memory, series, collector, freshness, queues, runtime, service, scrape, export. Every part prints its
 * tables; a summary of the targets comes last.
 */
import { hotpath } from './hotpath';
import { memory } from './memory';
import { series } from './series';
import { collector } from './collector';
import { freshness } from './freshness';
import { queues } from './queues';
import { runtime } from './runtime';
import { service } from './service';
import { scrape } from './scrape';
import { exportSplit } from './export-split';

const PARTS = ['hotpath', 'memory', 'series', 'collector', 'freshness', 'queues', 'runtime', 'service', 'scrape', 'export'] as const;
type Part = (typeof PARTS)[number];

async function main(): Promise<void> {
  const asked = process.argv.slice(2).filter((a) => a !== '--');
  const unknown = asked.filter((a) => !(PARTS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    console.error(`unknown part(s) ${unknown.join(', ')}; choose from ${PARTS.join(', ')}`);
    process.exit(2);
  }
  const parts: Part[] = asked.length === 0 ? [...PARTS] : (asked as Part[]);
  console.log(`otel-workspace-metrics benchmarks: ${parts.join(', ')} (node ${process.version}, ${require('node:os').cpus().length} CPUs)`);
  const summary: [string, string, string][] = [];
  for (const part of parts) {
    switch (part) {
      case 'hotpath': {
        const { ratios } = await hotpath();
        for (const key of Object.keys(ratios).slice(0, 3)) summary.push([`1 ${key}`, '<= 1.0×', `${ratios[key]!.toFixed(2)}× ${ratios[key]! <= 1 ? 'MET' : 'NOT MET'}`]);
        break;
      }
      case 'memory': {
        const { growthMB, seriesConstant } = await memory();
        for (const variant of ['kit-fast', 'kit-views']) {
          const ok = growthMB[variant]! <= 10 && seriesConstant[variant]!;
          summary.push([`2 ${variant}: heap growth, series constant`, '<= 10 MB, constant', `${growthMB[variant]!.toFixed(2)} MB, ${seriesConstant[variant] ? 'constant' : 'NOT constant'} ${ok ? 'MET' : 'NOT MET'}`]);
        }
        break;
      }
      case 'export': {
        const { ratio } = await exportSplit();
        summary.push(['export split: CPU of sizing + serializing the requests vs one serialization', '<= 2.5×', `${ratio.toFixed(2)}× ${ratio <= 2.5 ? 'MET' : 'NOT MET'}`]);
        break;
      }
      case 'series': {
        const { identical } = await series();
        for (const [mode, same] of Object.entries(identical)) summary.push([`3 head series identical (${mode})`, 'identical', same ? 'MET' : 'NOT MET']);
        break;
      }
      case 'collector': {
        const { cpuRatio } = await collector();
        summary.push(['4 collector CPU per datapoint, workspacepolicy / pass-through', '<= 1.1×', `${cpuRatio.toFixed(2)}× ${cpuRatio <= 1.1 ? 'MET' : 'NOT MET'}`]);
        break;
      }
      case 'runtime': {
        const { hotRatio, scrapeAddedMs } = await runtime();
        // "Unchanged" within run-to-run noise: the hot path records nothing of the runtime family.
        summary.push(['runtime metrics: hot path on / off', '<= 1.05×', `${hotRatio.toFixed(3)}× ${hotRatio <= 1.05 ? 'MET' : 'NOT MET'}`]);
        summary.push(['runtime metrics: added scrape latency', 'reported', `${scrapeAddedMs.toFixed(3)} ms`]);
        break;
      }
      case 'service': {
        const { ratios, spreads, cpuRatios, cpuMicros, miscounted, recorderNs, helloCpuMicros } = await service();
        const pct = (ratio: number): string => `${(ratio * 100).toFixed(1)} %`;
        // The per-round spread goes with every ratio: on a shared machine it can span the target.
        const spread = (key: string): string => `rounds ${pct(spreads[key]![0])} – ${pct(spreads[key]![1])}`;
        for (const server of ['http', 'express']) {
          if (ratios[`${server} hello kit`] === undefined) continue; // BENCH_SERVICE_HANDLERS left it out
          const kit = ratios[`${server} hello kit`]!;
          const cpu = cpuRatios[`${server} hello kit`]!;
          summary.push([`7 ${server}, hello-world handler, with the kit: throughput vs no metrics`, '>= 99 %', `${pct(kit)} ${kit >= 0.99 ? 'MET' : 'NOT MET'} (${spread(`${server} hello kit`)}; server CPU per request ${pct(cpu)})`]);
          const floor = `${server} hello floor`;
          if (ratios[floor] === undefined) continue;
          // What subscribing to Node's two HTTP diagnostics channels and timing each request costs before anything is recorded.
          summary.push([`7 ${server}, hello-world handler, the floor (diagnostics channels + timing, nothing recorded): throughput vs no metrics`, 'reported', `${pct(ratios[floor]!)} (${spread(floor)}; server CPU per request ${pct(cpuRatios[floor]!)})`]);
          const micros = (variant: string): number | undefined => cpuMicros[`${server} hello ${variant}`];
          const [none, atFloor, withKit] = [micros('none'), micros('floor'), micros('kit')];
          if (none !== undefined && atFloor !== undefined && withKit !== undefined) {
            summary.push([`7 ${server}, hello-world handler: server CPU µs per request, none / floor / kit`, 'reported', `${none.toFixed(2)} / ${atFloor.toFixed(2)} / ${withKit.toFixed(2)} (the kit adds ${(withKit - atFloor).toFixed(2)} µs above the floor)`]);
          }
          // Where the kit's cost goes: the same medians with one part of the kit off.
          const [noRuntime, noHttp] = [micros('kit -runtime'), micros('kit -http')];
          if (none !== undefined && withKit !== undefined && noRuntime !== undefined && noHttp !== undefined) {
            summary.push([
              `7 ${server}, hello-world handler: server CPU µs per request, kit / kit -runtime / kit -http`,
              'reported',
              `${withKit.toFixed(2)} / ${noRuntime.toFixed(2)} / ${noHttp.toFixed(2)} (runtime metrics ${(withKit - noRuntime).toFixed(2)} µs, HTTP recorder ${(withKit - noHttp).toFixed(2)} µs, the kit recording nothing ${(noHttp - none).toFixed(2)} µs)`,
            ]);
          }
        }
        for (const server of ['http', 'express']) {
          // Not the target (which is the hello-world figure): the cost relative to a handler that does some work.
          const key = `${server} work kit`;
          if (ratios[key] === undefined) continue;
          summary.push([`7 ${server}, 1 ms + 2 KB JSON handler, with the kit: throughput vs no metrics`, 'reported', `${pct(ratios[key]!)} (${spread(key)}; server CPU per request ${pct(cpuRatios[key]!)})`]);
        }
        const kit = ratios['express hello kit'];
        const bundle = ratios['express hello prom-bundle'];
        if (kit !== undefined && bundle !== undefined) summary.push(['7 express: kit costs less than express-prom-bundle', `kit > ${pct(bundle)}`, `${pct(kit)} ${kit > bundle ? 'MET' : 'NOT MET'}`]);
        summary.push(['7 kit endpoint counts every request served, exactly (every variant with the kit)', 'exact', miscounted.length === 0 ? 'MET' : `NOT MET: ${miscounted.join(', ')}`]);
        for (const [variant, ns] of Object.entries(recorderNs)) {
          const share = helloCpuMicros === undefined ? '' : ` (${((ns / 1000 / helloCpuMicros) * 100).toFixed(1)} % of a node:http hello request's ${helloCpuMicros.toFixed(1)} µs CPU)`;
          summary.push([`7 the HTTP recorder alone (${variant}): CPU added per request`, 'reported', `${ns.toFixed(0)} ns${share}`]);
        }
        break;
      }
      case 'freshness': {
        const lines = await freshness();
        for (const line of lines) summary.push(line);
        break;
      }
      case 'queues': {
        for (const row of await queues()) summary.push([`6 one queue health collection, ${row.source}, ${row.jobs} jobs`, 'measured', `${row.medianMs.toFixed(1)} ms median; ${row.backend}`]);
        break;
      }
      case 'scrape': {
        const { rows } = await scrape();
        for (const r of rows) {
          summary.push([
            `6 scrape, ${r.series} series, ${r.scrapers} scraper(s): app's worst event-loop block (CPU / wall) and its own endpoint's worst latency`,
            'reported (attack bound: app ≤ 100 ms)',
            `${r.worstCpuBlock.toFixed(1)} / ${r.worstBlock.toFixed(1)} ms, ${r.appMax.toFixed(1)} ms (scrape p50 ${r.scrapeP50.toFixed(1)} ms)`,
          ]);
        }
        break;
      }
    }
  }
  console.log('\n## Summary');
  for (const [what, target, result] of summary) console.log(`${what}: target ${target}: ${result}`);
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
