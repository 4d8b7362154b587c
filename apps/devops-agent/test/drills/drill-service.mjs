// The service the evidence drills run on Podman. FAULT picks the failure; APP_VERSION comes
// from the image (version 2 is a bad deploy answering 500). Exits promptly on SIGTERM.
import { createServer } from 'node:http';
import { connect } from 'node:net';

const port = Number(process.env.PORT ?? 0);
const fault = process.env.FAULT ?? 'none';
const version = process.env.APP_VERSION ?? '1';
const dependencyPort = Number(process.env.DEPENDENCY_PORT ?? 0);
const log = (line) => console.log(`${new Date().toISOString()} ${line}`);

const dependencyUp = () =>
  new Promise((resolve) => {
    if (!dependencyPort) return resolve(true);
    const socket = connect(dependencyPort, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const server = createServer(async (request, response) => {
  const json = (status, body) => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  if (fault === 'slow') await new Promise((resolve) => setTimeout(resolve, 2600));
  if (version === '2') {
    log(`ERROR ${request.method} ${request.url} status=500 TypeError: Cannot read properties of undefined (reading 'close')`);
    return json(500, { status: 'unhealthy', error: 'internal error' });
  }
  if (fault === 'dependency' && !(await dependencyUp())) {
    log(`ERROR ${request.method} ${request.url} status=502 connect ECONNREFUSED 127.0.0.1:${dependencyPort}`);
    return json(request.url === '/health' ? 200 : 502, { status: 'degraded', dependencies: { price_feed: 'down' } });
  }
  if (fault === 'config') {
    log(`ERROR ${request.method} ${request.url} status=500 Error: PRICE_FEED_URL is not set`);
    return json(500, { status: 'unhealthy' });
  }
  if (fault === 'certificate') {
    log(`ERROR ${request.method} ${request.url} status=502 Error: certificate has expired (CERT_HAS_EXPIRED) calling https://feed.example/prices`);
    return json(request.url === '/health' ? 200 : 502, { status: 'degraded' });
  }
  log(`INFO ${request.method} ${request.url} status=200`);
  json(200, { status: 'healthy', version });
});
server.listen(port, '127.0.0.1', () => log(`drill-service ${version} (${fault}) listening on ${port}`));

if (fault === 'crash') {
  setTimeout(() => {
    console.error('Error: unhandled rejection in prediction worker');
    console.error('    at predict (/app/predict.js:42:13)');
    process.exit(1);
  }, 1500);
}
if (fault === 'hang') setTimeout(() => { log('WARN event loop blocked'); for (;;) {} }, 1500);
if (fault === 'leak') {
  const kept = [];
  setTimeout(() => setInterval(() => {
    for (let index = 0; index < 20_000; index++) kept.push({ index, text: `leaked ${index} ${Math.random()}` });
  }, 5), 1000);
}
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setTimeout(() => process.exit(0), 3_600_000).unref();
