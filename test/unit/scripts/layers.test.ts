/**
 * Imports in src/ only point down the layers: scripts/layers.mjs computes
 * the folder graph's order and counts the imports inside a cycle of folders.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..');

interface Report {
  order: string[][];
  upward: { file: string; specifier: string }[];
  imports: number;
}

function report(): Report {
  return JSON.parse(execFileSync(process.execPath, [join(ROOT, 'scripts', 'layers.mjs'), '--json'], { cwd: ROOT, encoding: 'utf8' })) as Report;
}

it('no import in src/ points up the layers', () => {
  const { order, upward, imports } = report();
  const layers = order.map((component) => component.join('+'));
  console.log(`layers, lowest first: ${layers.join(' < ')}; ${imports} cross-layer imports, ${upward.length} upward`);
  expect(upward.map((edge) => `src/${edge.file} -> ${edge.specifier}`)).toEqual([]);
  expect(order.every((component) => component.length === 1)).toBe(true);
  // The data flow of the README: declarations below recording and policy, the runtime above them.
  const rank = (layer: string) => layers.indexOf(layer);
  expect(rank('model')).toBeLessThan(rank('record'));
  expect(rank('model')).toBeLessThan(rank('policy'));
  expect(rank('record')).toBeLessThan(rank('catalogue'));
  expect(rank('policy')).toBeLessThan(rank('fast'));
  expect(rank('fast')).toBeLessThan(rank('sdk'));
  expect(rank('sdk')).toBeLessThan(rank('index'));
});
