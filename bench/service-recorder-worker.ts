/**
 * The kit's HTTP recorder in isolation: `node service-recorder-worker.js
 * <register.js|none> <requests> <rounds>`. Builds real IncomingMessage and
 * ServerResponse objects and publishes Node's own
 * `http.server.request.start` / `http.server.response.finish` messages for
 * them, as node:http does for every request, with the kit's preload
 * subscribed (or nothing, for `none`). Prints `RESULT {"ns": [...]}`: CPU
 * nanoseconds per simulated request for each round (process CPU time, not
 * wall time, so other processes on a shared machine disturb it less).
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { IncomingMessage, ServerResponse, createServer } from 'node:http';
import { Socket } from 'node:net';

const [register, requestsArg, roundsArg] = process.argv.slice(2);
if (register !== undefined && register !== 'none') require(register);

const start = diagnosticsChannel.channel('http.server.request.start');
const finish = diagnosticsChannel.channel('http.server.response.finish');
const server = createServer();
const socket = new Socket();

/** One request's objects and messages, as node:http's parserOnIncoming and resOnFinish make them. */
function oneRequest(): void {
  const request = new IncomingMessage(socket);
  request.method = 'GET';
  request.url = '/workspaces/acme/jobs/42';
  request.headers = { host: '127.0.0.1', connection: 'keep-alive' };
  const response = new ServerResponse(request);
  if (start.hasSubscribers) start.publish({ request, response, socket, server });
  response.statusCode = 200;
  response.setHeader('content-type', 'application/json');
  (response as unknown as { _contentLength: number })._contentLength = 33; // what end(body) computes
  if (finish.hasSubscribers) finish.publish({ request, response, socket, server });
}

const requests = Number(requestsArg ?? 200_000);
const rounds = Number(roundsArg ?? 15);
// Let the preload finish starting (its endpoint listens asynchronously).
setTimeout(() => {
  for (let i = 0; i < requests; i++) oneRequest(); // warm-up
  const ns: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < requests; i++) oneRequest();
    const used = process.cpuUsage(before);
    ns.push(((used.user + used.system) * 1000) / requests);
  }
  console.log(`RESULT ${JSON.stringify({ ns })}`);
  process.exit(0);
}, 300);
