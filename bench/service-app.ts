/**
 * The service the `service` benchmark loads: `node [preloads] service-app.js
 * <http|express> <hello|work> [prom-bundle]`. One route,
 * `GET /workspaces/:workspace/jobs/:job`:
 *
 * - `hello` answers a constant 33-byte JSON body: the framework and the
 *   metrics are nearly all the work, so any cost of the kit shows in full;
 * - `work` is a stand-in for a real handler: it waits 1 ms (a timer, as for
 *   one fast database or cache call), then builds and JSON-serialises a
 *   ~2 KB object from the request's parameters (a page of 16 job records).
 *
 * Prints `READY <port>` once listening on a free loopback port, and
 * `SERVED <n>` (requests that reached the handler) on SIGUSR2.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const [kind, handler, extra] = process.argv.slice(2);
const hello = JSON.stringify({ ok: true, items: [1, 2, 3] });
let served = 0;

process.on('SIGUSR2', () => console.log(`SERVED ${served}`));

function ready(address: AddressInfo | string | null): void {
  console.log(`READY ${typeof address === 'object' && address !== null ? address.port : 0}`);
}

/** The `work` handler's body: 16 job records of one workspace, about 2 KB of JSON. */
function jobsPage(workspace: string, job: string): string {
  const jobs = [];
  for (let i = 0; i < 16; i++) {
    jobs.push({
      id: `${job}-${i}`,
      workspace,
      queue: i % 2 === 0 ? 'email' : 'reports',
      state: i % 5 === 0 ? 'failed' : 'completed',
      attempts: 1 + (i % 3),
      createdAt: 1_764_000_000_000 + i * 1_000,
      durationMs: 12.5 + i,
    });
  }
  return JSON.stringify({ workspace, page: 1, total: 16, jobs });
}

const wait = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

if (handler !== 'hello' && handler !== 'work') {
  console.error(`usage: service-app.js <http|express> <hello|work> [prom-bundle]`);
  process.exit(2);
}

if (kind === 'http') {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    served++;
    if (!request.url?.startsWith('/workspaces/')) {
      response.statusCode = 404;
      response.end();
    } else if (handler === 'hello') {
      response.setHeader('content-type', 'application/json');
      response.end(hello);
    } else {
      const [, , workspace = '', , job = ''] = request.url.split('/');
      void wait().then(() => {
        response.setHeader('content-type', 'application/json');
        response.end(jobsPage(workspace, job));
      });
    }
  });
  server.listen(0, '127.0.0.1', () => ready(server.address()));
} else if (kind === 'express') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const express = require('express5') as typeof import('express');
  const app = express();
  if (extra === 'prom-bundle') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const promBundle = require('express-prom-bundle') as (options: Record<string, unknown>) => import('express').RequestHandler;
    app.use(promBundle({ includeMethod: true, includePath: true, includeStatusCode: true }));
  }
  app.get('/workspaces/:workspace/jobs/:job', (request, response) => {
    served++;
    if (handler === 'hello') {
      response.type('application/json').send(hello);
    } else {
      void wait().then(() => response.type('application/json').send(jobsPage(String(request.params.workspace), String(request.params.job))));
    }
  });
  const server = app.listen(0, '127.0.0.1', () => ready(server.address()));
} else {
  console.error(`usage: service-app.js <http|express> <hello|work> [prom-bundle]`);
  process.exit(2);
}
