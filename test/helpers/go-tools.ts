/**
 * The Go tools of the deployment tests (helm, kustomize, our strict manifest
 * decoder), built from their Go modules by scripts/go-tools.sh into a cache
 * outside the repository (npm test's pretest builds them; here they are reused).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const paths = new Map<string, string>();

export type GoTool = 'helm' | 'kustomize' | 'k8s-validate';

export function goTool(name: GoTool): string {
  const known = paths.get(name);
  if (known) return known;
  let output: string;
  try {
    output = execFileSync('bash', [join(ROOT, 'scripts', 'go-tools.sh'), name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` },
      timeout: 40 * 60_000,
    });
  } catch (error) {
    throw new Error(`${name} could not be built (bash scripts/go-tools.sh ${name}): ${(error as Error).message}`);
  }
  const path = output.trim().split('\n').pop() ?? '';
  if (!existsSync(path)) throw new Error(`scripts/go-tools.sh ${name} printed ${JSON.stringify(path)}, which is not a file`);
  paths.set(name, path);
  return path;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (no shell), capturing both streams. */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): RunResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 5 * 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
