/**
 * The API report in api/ matches the built declarations, so a public API
 * change is a deliberate, reviewed change to api/ (`npm run api:update`).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..');

it('api/*.api.md match the public API of every entry point (npm run api:check)', { timeout: 240_000 }, () => {
  let output = '';
  let failed = false;
  try {
    output = execFileSync(process.execPath, [join(ROOT, 'scripts', 'api-report.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    failed = true;
    const e = error as { stdout?: string; stderr?: string };
    output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  expect(failed, output).toBe(false);
  expect(output).toContain('.: unchanged');
});
