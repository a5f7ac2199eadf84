#!/usr/bin/env node
// Per-folder (and per-file with --files) counts and scores of one or more Stryker JSON reports
// (reports/mutation/mutation.json of runs scoped to different folders), with Stryker's definitions:
//   detected = killed + timeout, undetected = survived + no coverage, valid = detected + undetected
//   mutation score = detected / valid; score based on covered code = detected / (detected + survived)
// Compile and runtime errors are invalid mutants and ignored ones are left out, as Stryker does.
// A file mutated by several of the reports is counted once, from the last report given that holds it
// (list the reports oldest first: a re-run after new tests replaces the earlier run's counts of its files).
//   node scripts/mutation-summary.mjs [--files] report.json [report.json ...]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const perFile = args.includes('--files');
const reports = args.filter((arg) => arg !== '--files');
if (reports.length === 0) reports.push('reports/mutation/mutation.json');

// Latest report per file: a later report's mutants of a file replace an earlier report's.
const latest = new Map();
for (const path of reports) {
  const report = JSON.parse(readFileSync(path, 'utf8'));
  for (const [file, { mutants }] of Object.entries(report.files)) latest.set(file.replace(/^.*?(?=src\/)/, ''), mutants);
}

const groups = new Map();
const blank = () => ({ Killed: 0, Survived: 0, Timeout: 0, NoCoverage: 0, CompileError: 0, RuntimeError: 0, Ignored: 0 });
const groupOf = (file) => {
  if (perFile) return file;
  if (file.startsWith('src/http/route')) return 'src/http/route*';
  return file.split('/').slice(0, 2).join('/');
};
for (const [file, mutants] of latest) {
  const name = groupOf(file);
  if (!groups.has(name)) groups.set(name, blank());
  const counts = groups.get(name);
  for (const mutant of mutants) counts[mutant.status] = (counts[mutant.status] ?? 0) + 1;
}

const pct = (a, b) => (b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(2)} %`);
const total = blank();
const rows = [['scope', 'mutants', 'killed', 'timeout', 'survived', 'no coverage', 'invalid', 'ignored', 'mutation score', 'covered-code score']];
const row = (name, c) => {
  const detected = c.Killed + c.Timeout;
  const valid = detected + c.Survived + c.NoCoverage;
  return [name, valid, c.Killed, c.Timeout, c.Survived, c.NoCoverage, c.CompileError + c.RuntimeError, c.Ignored, pct(detected, valid), pct(detected, detected + c.Survived)];
};
for (const [name, counts] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
  rows.push(row(name, counts));
  for (const key of Object.keys(total)) total[key] += counts[key] ?? 0;
}
rows.push(row('all', total));
console.log(rows.map((cells) => `| ${cells.join(' | ')} |`).join('\n'));
