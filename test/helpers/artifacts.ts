/** The generated artifacts committed in the repo (prometheus/, grafana/), against what src/ops renders now. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** The files among `paths` whose committed copy is missing or differs from `rendered` (paths relative to the repo root). */
export function staleArtifacts(rendered: ReadonlyMap<string, string>, paths: readonly string[]): string[] {
  return paths.filter((path) => {
    try {
      return readFileSync(join(ROOT, path), 'utf8') !== rendered.get(path);
    } catch {
      return true;
    }
  });
}
