/**
 * pg-boss and graphile-worker ship as ES modules only; these CommonJS test
 * files load them with a dynamic import (the types come from `import type`).
 */
export type PgBossModule = typeof import('pg-boss', { with: { 'resolution-mode': 'import' } });
export type GraphileWorkerModule = typeof import('graphile-worker', { with: { 'resolution-mode': 'import' } });

export function loadPgBoss(): Promise<PgBossModule> {
  return import('pg-boss');
}

export function loadGraphileWorker(): Promise<GraphileWorkerModule> {
  return import('graphile-worker');
}
