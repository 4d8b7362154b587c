import { createServer, type Server, type Socket } from 'node:net';

/**
 * An engine endpoint that misbehaves at the socket level: `drop` reads the request and closes the
 * connection (the engine dying mid-request); `hang` accepts and never answers (a hung operation).
 * Listens on a unix socket path or a loopback TCP port (port 0 → random).
 */
export interface MisbehavingServer {
  /** `unix:///…` or `http://127.0.0.1:<port>`. */
  address: string;
  close(): Promise<void>;
}

export async function startMisbehavingServer(
  mode: 'drop' | 'hang',
  listen: { path: string } | { port: 0 },
): Promise<MisbehavingServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (mode === 'drop') socket.once('data', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('path' in listen) server.listen(listen.path, () => resolve());
    else server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    address: typeof address === 'string' ? `unix://${address}` : `http://127.0.0.1:${address?.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
