#!/usr/bin/env node
// Merges Stryker JSON reports of the same code into one, the latest result per mutant: a later run
// scoped to a few files or line ranges (--mutate 'src/x.ts:10-20') after tests were added replaces
// the earlier results of the mutants it ran, and only those; every other mutant keeps its earlier
// result. Mutants are matched by file, mutator, replacement and position; when the source changed
// between runs (lines added, e.g. `// Stryker disable` comments), earlier positions are first moved
// through a line diff of the two sources. A file's mutants are never counted twice.
//   node scripts/mutation-merge.mjs base.json later.json [later2.json ...] > merged.json
// Then: node scripts/mutation-summary.mjs merged.json
import { readFileSync } from 'node:fs';

const [basePath, ...laterPaths] = process.argv.slice(2);
if (!basePath || laterPaths.length === 0) {
  console.error('usage: node scripts/mutation-merge.mjs base.json later.json [...] > merged.json');
  process.exit(2);
}

/** Old line (1-based) → new line, through the longest common subsequence of the two texts' lines. */
function lineMap(oldText, newText) {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const map = new Map();
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) map.set(++i, ++j);
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) i++;
    else j++;
  }
  return map;
}

const key = (m) => `${m.mutatorName}|${m.replacement}|${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column}`;

const merged = JSON.parse(readFileSync(basePath, 'utf8'));
for (const path of laterPaths) {
  const later = JSON.parse(readFileSync(path, 'utf8'));
  for (const [file, laterFile] of Object.entries(later.files)) {
    const baseFile = merged.files[file];
    if (baseFile === undefined) {
      merged.files[file] = laterFile;
      continue;
    }
    const map = baseFile.source === laterFile.source ? undefined : lineMap(baseFile.source, laterFile.source);
    const moved = [];
    for (const mutant of baseFile.mutants) {
      if (map === undefined) {
        moved.push(mutant);
        continue;
      }
      const start = map.get(mutant.location.start.line);
      const end = map.get(mutant.location.end.line);
      // A mutant whose lines changed is not the same mutant any more: the later run must have covered those lines.
      if (start === undefined || end === undefined) {
        console.error(`${file}: earlier mutant ${mutant.id} (${mutant.mutatorName}, line ${mutant.location.start.line}) is on a changed line; dropped`);
        continue;
      }
      moved.push({ ...mutant, location: { start: { ...mutant.location.start, line: start }, end: { ...mutant.location.end, line: end } } });
    }
    const byKey = new Map(moved.map((mutant) => [key(mutant), mutant]));
    for (const mutant of laterFile.mutants) byKey.set(key(mutant), mutant);
    merged.files[file] = { ...laterFile, mutants: [...byKey.values()] };
  }
}
process.stdout.write(JSON.stringify(merged));
