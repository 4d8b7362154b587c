// The image's HEALTHCHECK: GET http://127.0.0.1:$API_PORT/health within 2 s; exit 0 when it answers 2xx.
// Plain Node (the runtime image has no shell, curl or wget), with node:http rather than fetch:
// it runs every few seconds, and node:http starts in half the CPU time.
import { get } from 'node:http';

const port = Number(process.env.API_PORT ?? '8000');
const fail = (message) => {
  process.stderr.write(`health check failed: ${message}\n`);
  process.exit(1);
};
const request = get({ host: '127.0.0.1', port, path: '/health', timeout: 2000 }, (response) => {
  response.resume();
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) process.exit(0);
  fail(`/health answered ${status}`);
});
request.on('timeout', () => request.destroy(new Error('no answer within 2 s')));
request.on('error', (error) => fail(error.message));
