/**
 * The service the `service` benchmark loads: `node [preloads] service-app.js
 * <http|express> [prom-bundle]`. One route, `GET /workspaces/:workspace/jobs/:job`,
 * answering a small JSON body, as a typical API endpoint would; prints
 * `READY <port>` once listening on a free loopback port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const [kind, extra] = process.argv.slice(2);
const body = JSON.stringify({ ok: true, items: [1, 2, 3] });

function ready(address: AddressInfo | string | null): void {
  console.log(`READY ${typeof address === 'object' && address !== null ? address.port : 0}`);
}

if (kind === 'http') {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.url?.startsWith('/workspaces/')) {
      response.setHeader('content-type', 'application/json');
      response.end(body);
    } else {
      response.statusCode = 404;
      response.end();
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
  app.get('/workspaces/:workspace/jobs/:job', (_request, response) => {
    response.type('application/json').send(body);
  });
  const server = app.listen(0, '127.0.0.1', () => ready(server.address()));
} else {
  console.error(`usage: service-app.js <http|express> [prom-bundle]`);
  process.exit(2);
}
