// The contract suite's target: an HTTP server on a random loopback port that writes the port
// to $STATE_FILE (atomically), logs to stdout and stderr, and exits promptly on SIGTERM.
import { renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const stateFile = process.env.STATE_FILE;
const server = createServer((request, response) => {
  console.log(`request ${request.url}`);
  response.end(`hello from ${process.env.GREETING ?? 'the fixture'}`);
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  if (stateFile) {
    writeFileSync(`${stateFile}.tmp`, String(port));
    renameSync(`${stateFile}.tmp`, stateFile);
  }
  console.log(`listening on ${port}`);
  console.error('fixture ready (stderr)');
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
