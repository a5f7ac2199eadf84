#!/usr/bin/env node
/**
 * The layer order of src/, computed from its imports. A layer is a folder of
 * src/ (a file at the top of src/ is a layer of its own). The folder graph is
 * split into strongly connected components; when every component is a single
 * folder the graph is acyclic and the topological order IS the layer order.
 * An import that sits inside a cycle of folders points up the layers: each
 * such import is listed and counted.
 *
 * Usage: node scripts/layers.mjs [--json]   (exit 1 when any import points up)
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
// import … from '…', export … from '…', import '…', require('…'), import('…')
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `sdk` for src/sdk/start.ts, `log` for src/log.ts. */
function layerOf(path) {
  const [first, ...rest] = relative(SRC, path).split(sep);
  return rest.length === 0 ? first.replace(/\.(ts|mts|cts|js)$/, '') : first;
}

function resolveImport(from, specifier) {
  const target = resolve(dirname(from), specifier).replace(/\.js$/, '');
  for (const candidate of [target + '.ts', join(target, 'index.ts'), target]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

export function layerReport() {
  const edges = []; // { from, to, file, specifier }
  const layers = new Set();
  for (const file of files(SRC)) {
    const from = layerOf(file);
    layers.add(from);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(SPECIFIER)) {
      const target = resolveImport(file, match[1]);
      if (target === undefined || !target.startsWith(SRC + sep)) continue;
      const to = layerOf(target);
      if (to !== from) edges.push({ from, to, file: relative(SRC, file), specifier: match[1] });
    }
  }
  const out = new Map([...layers].map((layer) => [layer, new Set()]));
  for (const edge of edges) out.get(edge.from).add(edge.to);

  // Tarjan's strongly connected components (emitted dependencies first).
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  let counter = 0;
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of out.get(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component.sort());
    }
  };
  for (const layer of [...layers].sort()) if (!index.has(layer)) visit(layer);

  const componentOf = new Map();
  components.forEach((component, i) => component.forEach((layer) => componentOf.set(layer, i)));
  const upward = edges.filter((edge) => componentOf.get(edge.from) === componentOf.get(edge.to));
  return { order: components, upward, imports: edges.length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const report = layerReport();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    console.log(`layers, lowest first: ${report.order.map((c) => c.join('+')).join(' < ')}`);
    for (const edge of report.upward) console.log(`upward import: src/${edge.file} -> ${edge.specifier} (${edge.from} -> ${edge.to})`);
    console.log(`${report.imports} cross-layer imports, ${report.upward.length} upward`);
  }
  process.exitCode = report.upward.length === 0 ? 0 : 1;
}
