#!/usr/bin/env node
/**
 * The public API report (api/*.api.md), one per package entry point, made by
 * @microsoft/api-extractor from the built declarations in dist/. CI checks it
 * (test/unit/api/api-report.test.ts runs `--check`), so a change to the public
 * API shows up in review as a change to api/.
 *
 *   node scripts/api-report.mjs --check    fail when dist/ differs from api/  (npm run api:check)
 *   node scripts/api-report.mjs --update   rewrite api/                       (npm run api:update)
 *
 * Both need `npm run build` first.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompilerState, Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(join(ROOT, 'package.json'), 'utf8')));

/** Entry points from package.json `exports` (types only), named after their subpath. */
export function entryPoints() {
  return Object.entries(pkg.exports)
    .filter(([, target]) => typeof target === 'object' && target.types)
    .map(([subpath, target]) => ({
      subpath,
      name: subpath === '.' ? 'otel-workspace-metrics' : `otel-workspace-metrics-${subpath.slice(2)}`,
      types: join(ROOT, target.types),
    }));
}

function prepare(entry) {
  if (!existsSync(entry.types)) throw new Error(`${entry.types} is missing: run npm run build first`);
  const temp = join(ROOT, 'node_modules', '.cache', 'api-extractor');
  mkdirSync(temp, { recursive: true });
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: ROOT,
      mainEntryPointFilePath: entry.types,
      compiler: { tsconfigFilePath: join(ROOT, 'tsconfig.build.json') },
      apiReport: { enabled: true, reportFileName: `${entry.name}.api.md`, reportFolder: join(ROOT, 'api'), reportTempFolder: temp },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          // Release tags (@public/@beta) are not used in this package.
          'ae-missing-release-tag': { logLevel: 'none' },
          // Types reachable from the API but exported from another entry point (or not at all) are listed in the report.
          'ae-forgotten-export': { logLevel: 'none' },
          'ae-undocumented': { logLevel: 'none' },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: join(ROOT, 'api', 'api-extractor.json'),
    packageJsonFullPath: join(ROOT, 'package.json'),
  });
  return config;
}

function run(entry, config, compilerState, update) {
  const result = Extractor.invoke(config, { localBuild: update, compilerState, showVerboseMessages: false, messageCallback: (message) => {
    if (message.logLevel === 'warning' || message.logLevel === 'error') {
      console.error(`${entry.subpath}: ${message.text}`);
    }
    message.handled = true;
  } });
  return { entry, changed: result.apiReportChanged, ok: result.succeeded };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const update = process.argv.includes('--update');
  let failed = 0;
  const entries = entryPoints().map((entry) => ({ entry, config: prepare(entry) }));
  // One TypeScript program for every entry point (compiling once per entry is what makes it slow).
  const compilerState = CompilerState.create(entries[0].config, { additionalEntryPoints: entries.map(({ entry }) => entry.types) });
  for (const { entry, config } of entries) {
    const { changed, ok } = run(entry, config, compilerState, update);
    if (changed && !update) {
      failed++;
      console.error(`api/${entry.name}.api.md differs from the built API of '${entry.subpath}': review the change, then npm run api:update`);
    } else if (!ok && !update) failed++;
    else console.log(`${entry.subpath}: ${changed ? 'report updated' : 'unchanged'}`);
  }
  process.exitCode = failed === 0 ? 0 : 1;
}
