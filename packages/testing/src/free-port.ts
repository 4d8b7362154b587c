import { createServer } from 'node:net';

/**
 * A loopback port nobody listens on right now: binds port 0, reads the kernel's pick and
 * releases it. Another process can take it before the caller binds, so callers that start
 * a server on it should retry on "address in use".
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
