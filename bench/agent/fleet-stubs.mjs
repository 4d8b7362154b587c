// Stub targets for the fleet benchmark: COUNT HTTP servers on loopback, each answering GET /health
// with {"status":"healthy"}. Prints their base URLs as one JSON line, then serves until killed.
import { createServer } from 'node:http';

const count = Number(process.argv[2] ?? 200);
const urls = [];
for (let index = 0; index < count; index += 1) {
  const server = createServer((request, response) => {
    if (request.url === '/health') response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"healthy"}');
    else response.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  urls.push(`http://127.0.0.1:${server.address().port}`);
}
process.stdout.write(`${JSON.stringify(urls)}\n`);
