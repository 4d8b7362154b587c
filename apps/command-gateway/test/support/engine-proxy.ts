import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A unix-socket relay in front of a real engine socket, to put network faults between the
 * gateway and the engine: `mode = 'drop'` cuts each connection as soon as a request arrives
 * (the engine going away mid-request), `mode = 'hang'` accepts requests and never answers
 * (a hung operation). `mode = 'pass'` relays untouched.
 */
export class EngineProxy {
  mode: 'pass' | 'drop' | 'hang' = 'pass';
  readonly socketPath: string;
  private readonly directory: string;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly upstreamPath: string) {
    this.directory = mkdtempSync(join(tmpdir(), 'engine-proxy-'));
    this.socketPath = join(this.directory, 'engine.sock');
    this.server = createServer((client) => this.relay(client));
  }

  static async start(upstreamPath: string): Promise<EngineProxy> {
    const proxy = new EngineProxy(upstreamPath);
    await new Promise<void>((resolve) => proxy.server.listen(proxy.socketPath, resolve));
    return proxy;
  }

  get dockerHost(): string {
    return `unix://${this.socketPath}`;
  }

  /** The mode is read per chunk, so keep-alive connections opened earlier obey it too. */
  private relay(client: Socket): void {
    this.sockets.add(client);
    client.on('error', () => {});
    let upstream: Socket | undefined;
    const closeBoth = () => {
      client.destroy();
      upstream?.destroy();
    };
    client.on('close', () => {
      this.sockets.delete(client);
      upstream?.destroy();
    });
    client.on('data', (chunk: Buffer) => {
      if (this.mode === 'drop') return closeBoth();
      if (this.mode === 'hang') return; // swallowed: no answer ever comes
      if (!upstream) {
        const connection = createConnection(this.upstreamPath);
        upstream = connection;
        this.sockets.add(connection);
        connection.on('error', closeBoth);
        connection.on('close', () => {
          this.sockets.delete(connection);
          client.destroy();
        });
        connection.on('data', (reply: Buffer) => {
          if (this.mode === 'drop') return closeBoth();
          client.write(reply);
        });
      }
      upstream.write(chunk);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.directory, { recursive: true, force: true });
  }
}
